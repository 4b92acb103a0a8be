import { GroupCommit } from './group-commit';

/** A ledger whose appends finish when the test says: records what each append held. */
function ledger() {
  const appends: { items: string[]; done: (fail?: Error) => void }[] = [];
  const submit = (items: string[]) =>
    new Promise<string[]>((resolve, reject) => {
      appends.push({ items, done: (fail) => (fail ? reject(fail) : resolve(items.map((i) => `ok:${i}`))) });
    });
  return { appends, submit };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('group commit of concurrent ingest calls', () => {
  it('a call on an idle ledger is appended at once, alone; calls arriving meanwhile are appended together next, each answered with its own outcomes in order', async () => {
    const l = ledger();
    const group = new GroupCommit(l.submit, 100, 1);
    const a = group.run(['a1', 'a2']);
    await tick();
    expect(l.appends.map((x) => x.items)).toEqual([['a1', 'a2']]);
    const b = group.run(['b1']);
    const c = group.run(['c1', 'c2']);
    await tick();
    expect(l.appends).toHaveLength(1); // waiting for the append in flight
    l.appends[0].done();
    expect(await a).toEqual(['ok:a1', 'ok:a2']);
    await tick();
    expect(l.appends.map((x) => x.items)).toEqual([
      ['a1', 'a2'],
      ['b1', 'c1', 'c2'],
    ]);
    l.appends[1].done();
    expect(await b).toEqual(['ok:b1']);
    expect(await c).toEqual(['ok:c1', 'ok:c2']);
    expect(group.stats).toEqual({ groups: 2, calls: 3 });
  });

  it('a failed append fails every call of its group, and the calls after it are appended all the same', async () => {
    const l = ledger();
    const group = new GroupCommit(l.submit, 100, 1);
    const a = group.run(['a1']);
    const b = group.run(['b1']);
    const c = group.run(['c1']);
    await tick();
    l.appends[0].done();
    await a;
    await tick();
    l.appends[1].done(new Error('store unavailable'));
    await expect(b).rejects.toThrow('store unavailable');
    await expect(c).rejects.toThrow('store unavailable');
    const d = group.run(['d1']);
    await tick();
    l.appends[2].done();
    expect(await d).toEqual(['ok:d1']);
  });

  it('a group holds at most maxItems items (a larger call goes alone), and up to inFlight groups are appended at once', async () => {
    const l = ledger();
    const group = new GroupCommit(l.submit, 3, 2);
    const calls = [group.run(['a1']), group.run(['b1', 'b2']), group.run(['c1', 'c2']), group.run(['d1', 'd2', 'd3', 'd4'])];
    await tick();
    expect(l.appends.map((x) => x.items)).toEqual([['a1'], ['b1', 'b2']]); // two in flight, each taken as it came
    l.appends[0].done();
    await tick();
    expect(l.appends.map((x) => x.items)[2]).toEqual(['c1', 'c2']); // d would make 6 > 3
    l.appends[1].done();
    await tick();
    expect(l.appends.map((x) => x.items)[3]).toEqual(['d1', 'd2', 'd3', 'd4']);
    l.appends[2].done();
    l.appends[3].done();
    expect((await Promise.all(calls)).map((o) => o.length)).toEqual([1, 2, 2, 4]);
  });
});
