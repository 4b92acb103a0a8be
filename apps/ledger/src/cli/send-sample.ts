// Sends the demo's sample month (apps/ledger/src/demo/sample-month.ndjson) to a running ledger, as
// its producers would, then prints what the ledger made of it. The sample producer of
// docker-compose.yml (a one-shot container); by hand:
//   LEDGER_URL=http://127.0.0.1:3000 LEDGER_ADMIN_KEY=... [KAFKA_BROKERS=127.0.0.1:19092] \
//     node -r ./deploy/register.js apps/ledger/src/cli/send-sample.ts
//
// 1. Opens the demo's four accounts with their plans (the admin key; an account already there is
//    kept as it is).
// 2. Moves the month to now: the ledger runs on the wall clock here, and it refuses usage before an
//    account was opened or more than 5 minutes ahead of its clock. The events' times are laid, in
//    their order and proportions, over the seconds just after the plans started (a session keeps
//    its length). Every id gets a run tag (SAMPLE_RUN, default the start time), so a second run is
//    a second month of usage, not duplicates.
// 3. Sends each event to Kafka (usage.renders or usage.streaming, key = the account id, with the
//    ledger's own KAFKA_SASL_* / KAFKA_SSL* settings), or POSTs them to /v1/events with a producer
//    key it issues (SAMPLE_VIA=http, the default without KAFKA_BROKERS).
// 4. Waits until the read models count the usage (GET /v1/usage), up to SAMPLE_WAIT_MS, and prints
//    each account's balances. Exit 0 once sent and counted; 1 if the ledger refused something or
//    the usage was not all counted in time.
import { readFileSync } from 'fs';
import { join } from 'path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { kafkaSecurityOptions } from '@ledger/service/kafka/kafka-client';
import { DEFAULT_KAFKA_TOPICS, readKafkaSecurity } from '@ledger/service/kafka/kafka-config';
import { DEMO_ACCOUNTS, DEMO_END, DEMO_START } from '../demo/month';
import { movedMonth, UsageEvent } from './moved-month';

/** The fields of the ledger's answers this script reads (JSON; absent where an answer has none). */
interface Body {
  error?: string;
  key?: string;
  id?: string;
  prefix?: string;
  results?: { status: string }[];
  totals?: { records?: number | string };
  wallets?: Record<string, { available: string; overage: string; uncovered: string }>;
}
type Answer = { status: number; json: Body };

const env = process.env;
const base = (env.LEDGER_URL || 'http://127.0.0.1:3000').replace(/\/+$/, '');
const via = env.SAMPLE_VIA || (env.KAFKA_BROKERS ? 'kafka' : 'http');
const waitMs = Number(env.SAMPLE_WAIT_MS || 180_000);
const say = (line: string) => console.log(`sample: ${line}`);

function caller(key: string) {
  return async (method: string, path: string, body?: unknown, type = 'application/json'): Promise<Answer> => {
    const res = await fetch(base + path, {
      method,
      headers: { 'content-type': type, authorization: `Bearer ${key}` },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: Body = {};
    try {
      json = text ? (JSON.parse(text) as Body) : {};
    } catch {
      json = { error: text.slice(0, 300) }; // not JSON: kept for the message
    }
    if (res.status >= 500) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return { status: res.status, json };
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET /health until it answers (the API may still be starting), up to a minute. */
async function waitForLedger(): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${base}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no ledger answers GET ${base}/health (LEDGER_URL)`);
    await sleep(1000);
  }
}

async function openAccounts(admin: ReturnType<typeof caller>): Promise<void> {
  for (const a of DEMO_ACCOUNTS) {
    const opened = await admin('POST', '/v1/accounts', { accountId: a.accountId, name: a.name });
    if (opened.status === 401 || opened.status === 403) throw new Error(`the admin key was refused (${opened.status}): LEDGER_ADMIN_KEY`);
    // 201: opened now; 200: it was there already (the same request again), its plans as they are.
    if (opened.status === 200 || opened.json.error === 'account_exists') {
      say(`${a.accountId} is already open: kept as it is`);
      continue;
    }
    if (opened.status >= 400) throw new Error(`POST /v1/accounts ${a.accountId}: ${JSON.stringify(opened.json)}`);
    if (a.plan) {
      const plan = await admin('POST', `/v1/accounts/${a.accountId}/plans`, a.plan);
      if (plan.status >= 400) throw new Error(`POST /v1/accounts/${a.accountId}/plans: ${JSON.stringify(plan.json)}`);
    }
    say(`opened ${a.accountId}${a.plan ? ` on ${a.plan.plan}` : ''}`);
  }
}

async function sendToKafka(events: UsageEvent[]): Promise<void> {
  const brokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const kafka = new Kafka({
    clientId: 'ledger-sample',
    brokers,
    ...kafkaSecurityOptions(readKafkaSecurity(env)),
    logLevel: logLevel.WARN,
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const topicOf = (e: UsageEvent) =>
      e.type.startsWith('streaming.')
        ? env.KAFKA_TOPIC_STREAMING || DEFAULT_KAFKA_TOPICS.streaming
        : env.KAFKA_TOPIC_RENDERS || DEFAULT_KAFKA_TOPICS.renders;
    const byTopic = new Map<string, UsageEvent[]>();
    for (const e of events) byTopic.set(topicOf(e), [...(byTopic.get(topicOf(e)) ?? []), e]);
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, list]) => ({
        topic,
        messages: list.map((e) => ({ key: e.subject, value: JSON.stringify(e) })),
      })),
    });
    say(`sent ${events.length} events to Kafka ${brokers.join(',')} (${[...byTopic].map(([t, l]) => `${t}: ${l.length}`).join(', ')})`);
  } finally {
    await producer.disconnect();
  }
}

async function sendOverHttp(admin: ReturnType<typeof caller>, events: UsageEvent[]): Promise<number> {
  const issued = await admin('POST', '/v1/api-keys', { role: 'producer', name: 'sample producer' });
  if (issued.status >= 400) throw new Error(`POST /v1/api-keys: ${JSON.stringify(issued.json)}`);
  const producer = caller(issued.json.key as string);
  const answer = await producer('POST', '/v1/events', events.map((e) => JSON.stringify(e)).join('\n'), 'application/x-ndjson');
  if (answer.status >= 400) throw new Error(`POST /v1/events: ${answer.status} ${JSON.stringify(answer.json)}`);
  const counts: Record<string, number> = {};
  const results = answer.json.results ?? [];
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  say(`POST /v1/events (${events.length} events, producer key ${issued.json.prefix ?? issued.json.id}): ${JSON.stringify(counts)}`);
  return counts.rejected ?? 0;
}

/** Usage records the read models count for the demo's accounts on the days the moved month covers. */
async function countedRecords(admin: ReturnType<typeof caller>, from: string, to: string): Promise<number> {
  let total = 0;
  for (const a of DEMO_ACCOUNTS) {
    const { status, json } = await admin('GET', `/v1/usage?accountId=${a.accountId}&from=${from}&to=${to}&groupBy=day`);
    if (status === 503) return -1; // projection_behind: not yet
    if (status >= 400) throw new Error(`GET /v1/usage: ${status} ${JSON.stringify(json)}`);
    total += Number(json.totals?.records ?? 0);
  }
  return total;
}

async function main(): Promise<void> {
  const adminKey = env.LEDGER_ADMIN_KEY;
  if (!adminKey) throw new Error('LEDGER_ADMIN_KEY is required (the ledger admin key the accounts are opened with)');
  if (via !== 'kafka' && via !== 'http') throw new Error(`SAMPLE_VIA must be kafka or http, got "${via}"`);
  if (via === 'kafka' && !env.KAFKA_BROKERS) throw new Error('SAMPLE_VIA=kafka needs KAFKA_BROKERS');
  const admin = caller(adminKey);
  await waitForLedger();
  await openAccounts(admin);

  const lines = readFileSync(join(__dirname, '../demo/sample-month.ndjson'), 'utf8').split('\n').filter(Boolean);
  const from = Date.now() + 1000; // after the plans' start
  await sleep(3000);
  const to = Date.now() - 100;
  const run = env.SAMPLE_RUN || `s${from.toString(36)}`;
  const events = movedMonth(lines, { start: DEMO_START, end: DEMO_END }, from, to, run);
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const days = [day(from), day(to + 86_400_000)] as const;
  const before = Math.max(0, await countedRecords(admin, ...days));

  let rejected = 0;
  if (via === 'kafka') await sendToKafka(events);
  else rejected = await sendOverHttp(admin, events);

  // The ingestors and the projector work on their own time: wait until the read models count it all.
  const deadline = Date.now() + waitMs;
  let counted = 0;
  for (;;) {
    const now = await countedRecords(admin, ...days);
    counted = now < 0 ? counted : now - before;
    if (counted >= events.length - rejected || Date.now() > deadline) break;
    await sleep(1000);
  }
  say(`the read models count ${counted} of the ${events.length} usage records sent (run ${run})`);
  for (const a of DEMO_ACCOUNTS) {
    const { json } = await admin('GET', `/v1/accounts/${a.accountId}/balances`);
    const wallets = Object.entries(json.wallets ?? {})
      .map(([w, b]) => `${w} available ${b.available}, overage ${b.overage}, uncovered ${b.uncovered}`)
      .join('; ');
    say(`${a.accountId}: ${wallets}`);
  }
  if (rejected > 0 || counted < events.length - rejected) {
    say(
      rejected > 0
        ? `${rejected} events were refused`
        : `not all counted within ${waitMs} ms (SAMPLE_WAIT_MS): see the ingestors' logs and usage.dead-letter`,
    );
    process.exitCode = 1;
  }
}

if (require.main === module)
  main().catch((err) => {
    console.error(`sample: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
