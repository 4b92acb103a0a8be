// The sample producer's month moved to now (moved-month.ts) on the demo's own sample month.
import { readFileSync } from 'fs';
import { join } from 'path';
import { movedMonth } from './moved-month';

const MONTH = { start: '2026-01-01T00:00:00.000Z', end: '2026-02-01T00:00:00.000Z' };
const lines = readFileSync(join(__dirname, '../demo/sample-month.ndjson'), 'utf8').split('\n').filter(Boolean);

describe('movedMonth (the sample producer of docker-compose.yml)', () => {
  const from = Date.parse('2026-12-02T10:00:00.000Z');
  const to = from + 3000;
  const moved = movedMonth(lines, MONTH, from, to, 'r1');

  it('lays every event inside [from, to], in the order of the month', () => {
    expect(moved).toHaveLength(lines.length);
    const times = moved.map((e) => Date.parse(e.time));
    for (const t of times) expect(t >= from && t <= to).toBe(true);
    const original = lines.map((l) => Date.parse(JSON.parse(l).time as string));
    const order = (ts: number[]) => ts.map((_, i) => i).sort((a, b) => ts[a] - ts[b] || a - b);
    expect(order(times)).toEqual(order(original));
  });

  it('keeps each session its length and ends it at the event, and tags every id with the run', () => {
    lines.forEach((line, i) => {
      const e = JSON.parse(line);
      const m = moved[i];
      expect(m.id).toBe(`r1-${e.id}`);
      expect(m.subject).toBe(e.subject);
      if (e.data.jobId) expect(m.data.jobId).toBe(`r1-${e.data.jobId}`);
      if (e.data.sessionId) {
        expect(m.data.sessionId).toBe(`r1-${e.data.sessionId}`);
        expect(Date.parse(m.data.endedAt!) - Date.parse(m.data.startedAt!)).toBe(Date.parse(e.data.endedAt) - Date.parse(e.data.startedAt));
        expect(Date.parse(m.data.endedAt!) - Date.parse(m.time)).toBe(Date.parse(e.data.endedAt) - Date.parse(e.time));
      }
    });
    expect(new Set(movedMonth(lines, MONTH, from, to, 'r2').map((e) => e.id)).has(moved[0].id)).toBe(false);
  });
});
