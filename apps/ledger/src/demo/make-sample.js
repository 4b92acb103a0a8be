// Writes sample-month.ndjson: a deterministic January of usage for the demo accounts.
// Run: node apps/ledger/src/demo/make-sample.js
const { writeFileSync } = require('fs');
const { join } = require('path');

let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const events = [];
let n = 0;
const at = (day, hour, minute) => new Date(Date.UTC(2026, 0, day, hour, minute)).toISOString();

function render(subject, day, product, engine, durationMs, resolution = '1080p') {
  const time = at(day, 8 + Math.floor(rand() * 10), Math.floor(rand() * 60));
  events.push({
    specversion: '1.0',
    id: `evt-${++n}`,
    source: 'renderer/eu-west-1',
    type: 'render.completed',
    time,
    subject,
    datacontenttype: 'application/json',
    data: { jobId: `job_${n}`, product, ...(engine ? { engine } : {}), durationMs, resolution, watermarked: subject === 'acct_free' },
  });
}
function stream(subject, day, integration, seconds) {
  const end = new Date(Date.parse(at(day, 9 + Math.floor(rand() * 9), Math.floor(rand() * 60))));
  const start = new Date(end.getTime() - seconds * 1000);
  events.push({
    specversion: '1.0',
    id: `evt-${++n}`,
    source: 'gateway/us-east-1',
    type: 'streaming.session.ended',
    time: end.toISOString(),
    subject,
    datacontenttype: 'application/json',
    data: { sessionId: `sess_${n}`, integration, startedAt: start.toISOString(), endedAt: end.toISOString() },
  });
}

for (let day = 1; day <= 31; day++) {
  // Pro: a few unlimited renders a day and an occasional API stream.
  if (day <= 30) for (let i = 0; i < 2; i++) render('acct_pro', day, 'avatar_video', 'unlimited', 20_000 + Math.floor(rand() * 100_000));
  if (day % 7 === 0) stream('acct_pro', day, 'api', 60 + Math.floor(rand() * 400));
  // Scale with auto-renew: Avatar IV and translations, heavy enough to cross 90 % mid-month.
  render('acct_scale', day, 'avatar_video', 'avatar_iv', 240_000 + Math.floor(rand() * 120_000), '4k');
  if (day % 3 === 0) render('acct_scale', day, 'video_translation', undefined, 60_000 + Math.floor(rand() * 60_000));
  // LiveAvatar with overage: long Full SDK sessions, some Custom SDK ones.
  stream('acct_live', day, pick(['live_avatar_full', 'live_avatar_full', 'live_avatar_custom']), 1200 + Math.floor(rand() * 600));
  // Free: a few short renders, then more than its 10 credits cover.
  if (day % 4 === 1) render('acct_free', day, 'avatar_video', 'unlimited', 30_000 + Math.floor(rand() * 60_000), '720p');
}
events.sort((a, b) => a.time.localeCompare(b.time));
writeFileSync(join(__dirname, 'sample-month.ndjson'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
console.log(`${events.length} events`);
