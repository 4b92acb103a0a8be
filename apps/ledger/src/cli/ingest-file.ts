// Ingests an NDJSON file of usage events into the configured store, in batches, the same way
// as HTTP: each line validated, deduplicated (a re-run reports duplicates) and charged.
// Usage: npm run ingest-file -- events.ndjson   (exit code 2 when any line was rejected)
import { NestFactory } from '@nestjs/core';
import { createReadStream } from 'fs';
import { createInterface } from 'readline';
import { LedgerModule } from '@ledger/service/ledger.module';
import { readConfig } from '@ledger/service/config';
import { UsageIngest } from '@ledger/service/usage/usage-ingest';

/** Lines per call of the usage port (never above its own limit, LEDGER_MAX_BATCH). */
const BATCH = 1000;

async function main(file: string | undefined): Promise<number> {
  if (!file) throw new Error('usage: ingest-file <events.ndjson>');
  // A file is its own way in: this process neither joins the Kafka consumer group nor runs
  // the process managers (the service does).
  const { KAFKA_BROKERS, ...env } = process.env;
  const config = readConfig({ ...env, LEDGER_PROCESS: 'false' });
  const app = await NestFactory.createApplicationContext(LedgerModule.forRoot(config), { logger: ['error', 'warn'] });
  const ingest = app.get(UsageIngest);
  const counts = { accepted: 0, duplicate: 0, rejected: 0 };
  let batch: { line: number; text: string }[] = [];
  const flush = async () => {
    const answer = await ingest.ingest(
      batch.map((b) => b.text),
      (i) => ({ via: 'file', file, line: batch[i].line }),
    );
    if (!answer.ok) throw new Error(`lines ${batch[0].line}-${batch[batch.length - 1].line}: ${answer.failure.message}`);
    answer.value.forEach((r, i) => {
      counts[r.status]++;
      if (r.status === 'rejected') console.error(`line ${batch[i].line}: ${r.errors?.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
    });
    batch = [];
  };
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(file) })) {
    line++;
    if (text.trim() === '') continue;
    batch.push({ line, text });
    if (batch.length >= Math.min(BATCH, ingest.maxBatch)) await flush();
  }
  if (batch.length) await flush();
  await app.close();
  console.log(`${file}: ${counts.accepted} accepted, ${counts.duplicate} duplicates, ${counts.rejected} rejected`);
  return counts.rejected > 0 ? 2 : 0;
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
