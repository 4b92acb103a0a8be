// Property (issue 11): whatever value lands in whatever field of a usage event (full-unicode text,
// control characters, lone surrogates, huge strings, deep values, absurd numbers), POST /v1/events
// never answers a 5xx, and the good events on either side of it are recorded.
import fc from 'fast-check';
import { Envelope, Ledger, moveClock, postEvents, proAccount, renderCompleted, startLedger, streamingEnded, withField } from './support';

let ledger: Ledger;
let at: (minutes: number) => string;
const ACCOUNT = 'acct_property';
beforeAll(async () => {
  ledger = await startLedger();
  const opened = (await ledger.http.get('/v1/simulation/clock')).body.now as string;
  await proAccount(ledger, ACCOUNT);
  await moveClock(ledger, new Date(Date.parse(opened) + 3_600_000).toISOString());
  at = (m) => new Date(Date.parse(opened) + m * 60_000).toISOString();
});
afterAll(() => ledger?.close());

const CONTROL = fc.constantFrom('\u0000', '\u0001', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u2028', '\ud800', '\udfff');
const deepValue = fc.integer({ min: 1, max: 2000 }).map((depth) => {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { v };
  return v;
});
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }), // full unicode, lone surrogates included
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.tuple(fc.string({ maxLength: 10 }), CONTROL, fc.string({ maxLength: 10 })).map(([a, c, b]) => a + c + b),
  fc.integer({ min: 1, max: 300_000 }).map((n) => 'h'.repeat(n)), // huge
  deepValue,
  fc.constantFrom(1e308, -1e308, 1e15, 0, -1, 0.5, Number.MAX_SAFE_INTEGER, true, null, [], {}, '', ' '),
  fc.double({ noNaN: true }),
  fc.jsonValue({ maxDepth: 4 }),
);
const RENDER_FIELDS = [
  'specversion',
  'id',
  'source',
  'type',
  'time',
  'subject',
  'datacontenttype',
  'data',
  'data.jobId',
  'data.product',
  'data.engine',
  'data.durationMs',
  'data.resolution',
  'data.watermarked',
  'data.extra',
];
const SESSION_FIELDS = ['data.sessionId', 'data.integration', 'data.startedAt', 'data.endedAt'];

it('a hostile value in any field: never a 5xx, the neighbours are recorded', async () => {
  let minute = 1;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...RENDER_FIELDS, ...SESSION_FIELDS), hostile, async (field, value) => {
      minute = (minute % 50) + 1;
      const before = renderCompleted({ subject: ACCOUNT, time: at(minute), durationMs: 1_000 });
      const base: Envelope = SESSION_FIELDS.includes(field)
        ? streamingEnded({ subject: ACCOUNT, time: at(minute), durationMs: 30_000 })
        : renderCompleted({ subject: ACCOUNT, time: at(minute), durationMs: 1_000 });
      const spoiled = withField(base, field, value);
      const after = streamingEnded({ subject: ACCOUNT, time: at(minute), durationMs: 30_000 });
      const res = await postEvents(ledger, [before, spoiled, after]);
      expect(res.status).toBeLessThan(500);
      expect(res.body.results).toHaveLength(3);
      expect([res.body.results[0].status, res.body.results[2].status]).toEqual(['accepted', 'accepted']);
    }),
    { numRuns: 150 },
  );
});
