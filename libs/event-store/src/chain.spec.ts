// What an event's hash and the log's digest are made of (chain.ts), as an outside auditor would
// recompute them: the canonical JSON, the bytes, a worked example.
import { createHash } from 'crypto';
import fc from 'fast-check';
import { canonicalJson, ChainFold, eventHash, GENESIS, nextDigest } from './chain';

const sha256 = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest('hex');

describe('canonical JSON', () => {
  it('sorts keys, drops whitespace and what JSON.stringify drops, and writes strings and numbers as it does', () => {
    expect(canonicalJson({ b: 1, a: [true, null, undefined, 'x'], c: { z: undefined, y: -0, x: 1e21, w: 5e-7 }, é: '"\\\n' })).toBe(
      '{"a":[true,null,null,"x"],"b":1,"c":{"w":5e-7,"x":1e+21,"y":0},"é":"\\"\\\\\\n"}',
    );
    expect(canonicalJson({ at: new Date('2026-01-01T00:00:00Z'), n: NaN })).toBe('{"at":"2026-01-01T00:00:00.000Z","n":null}');
    const odd = { b: { toJSON: () => undefined }, a: [() => 1], c: Symbol('c') };
    expect(canonicalJson(odd)).toBe(JSON.stringify(odd)); // {"a":[null]}
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
  });

  it('is the same text for a value, whatever order its keys were made in, and for the JSON read back', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        const back = JSON.parse(JSON.stringify(value)) as unknown;
        expect(canonicalJson(back)).toBe(text);
        expect(JSON.parse(text)).toEqual(back);
        const reversed = JSON.parse(JSON.stringify(value), (_k, v: unknown) =>
          v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
        ) as unknown;
        expect(canonicalJson(reversed)).toBe(text);
      }),
    );
  });
});

describe('the chain', () => {
  const opened = {
    streamId: 'account-acct_1',
    streamVersion: 1,
    type: 'AccountOpened',
    data: { name: 'Ada', accountId: 'acct_1' },
    metadata: {},
  };
  const charged = {
    streamId: 'account-acct_1',
    streamVersion: 2,
    type: 'UsageCharged',
    data: { credits: '2' },
    metadata: { via: 'http' },
  };

  it('hashes the previous hash and the canonical bytes of stream, version, type, data and metadata', () => {
    const h1 = eventHash(GENESIS, opened);
    expect(h1).toBe(
      sha256(Buffer.alloc(32), Buffer.from('["account-acct_1",1,"AccountOpened",{"accountId":"acct_1","name":"Ada"},{}]', 'utf8')),
    );
    const h2 = eventHash(h1, charged);
    expect(h2).toBe(sha256(Buffer.from(h1, 'hex'), Buffer.from('["account-acct_1",2,"UsageCharged",{"credits":"2"},{"via":"http"}]')));
    expect(eventHash(h1, { ...charged, data: { credits: '3' } })).not.toBe(h2);
    expect(eventHash(GENESIS, charged)).not.toBe(h2); // the link to the event before
  });

  it("folds each hash and recorded time into the log's digest", () => {
    const at = new Date('2026-01-01T00:00:00.000Z');
    const h1 = eventHash(GENESIS, opened);
    const time = Buffer.alloc(8);
    time.writeBigInt64BE(BigInt(at.getTime()));
    const d1 = nextDigest(GENESIS, h1, at);
    expect(d1).toBe(sha256(Buffer.alloc(32), Buffer.from(h1, 'hex'), time));
    expect(nextDigest(GENESIS, h1, new Date(at.getTime() + 1))).not.toBe(d1);

    const fold = new ChainFold();
    fold.add({ ...opened, globalPosition: 1n, recordedAt: at });
    fold.add({ ...charged, globalPosition: 2n, recordedAt: at });
    expect(fold).toMatchObject({ position: 2n, events: 2, digest: nextDigest(d1, eventHash(h1, charged), at) });
    // The values of this example (README "Tamper evidence"): the definition must never drift.
    expect([h1, d1, fold.streams.get('account-acct_1')!.hash, fold.digest]).toEqual([
      'c8dec523bfaba7dc67814b02542209e31324903eaf795dc1c6fe298b4baa45b6',
      'da28a11e8e40a98e4fd987b47784b49c90230cf8dd76b1b82b0666b8480af904',
      '9b2a7149a80db0f577c139ef3465bf62163d2f5ce8a2846db3df6f97e7f9ed4c',
      '0025071db0c4f8c7bd8f5457126e22a0db228a35eeb72ffb70335b7acc4f177b',
    ]);
  });
});
