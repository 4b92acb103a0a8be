// Audit replay: rebuild every read model from the log into a fresh schema, compare it with the
// live one table by table (a digest per table, the first differing rows when they differ), and
// optionally make the rebuilt schema the live one (renamed in one transaction).
//
// The projector's checkpoint and lease live in the read models' schema (projector.ts), so a
// rebuilt schema carries its own checkpoint, and a switch puts it live together with the tables.
import { checkSchemaName, GlobalPosition, SqlClient, SqlExecutor } from '@ledger/event-store';
import { freeLeases } from '../kit/lease';
import { LogReader, readsPages } from './log-reader';
import { createReadModelIndexes, migrateReadModels, Projector } from './projector';
import { FINANCE_PROJECTOR, financeCheckpoint, READ_MODEL_TABLES, ReadModelTable } from './read-model-schema';

export interface RebuildOptions {
  db: SqlClient;
  reader: LogReader;
  /** The schema to build into: dropped first if it exists. */
  schema: string;
  ledgerSchema: string;
  /** Stop at this position (default: the head when the rebuild starts). */
  upTo?: GlobalPosition;
  batchSize?: number;
  /** Events per read of the log (default 20,000). */
  pageSize?: number;
  /** Read the next batch while one is written (default: on except on PGlite, see ProjectorOptions). */
  prefetch?: boolean;
  /** Parse and fold on a worker thread (default: with the SQL reader, from 200,000 events: below, starting it costs more than it saves). */
  foldThread?: boolean;
  onProgress?(position: GlobalPosition, events: number): void;
}

export interface RebuildResult {
  schema: string;
  position: GlobalPosition;
  events: number;
  ms: number;
}

/** Builds every read model from the log into `schema` (a fresh schema: indexes are made once, at the end). */
export async function rebuildReadModels(o: RebuildOptions): Promise<RebuildResult> {
  checkSchemaName(o.schema);
  const started = Date.now();
  await o.db.query(`DROP SCHEMA IF EXISTS ${o.schema} CASCADE`);
  await migrateReadModels(o.db, o.schema, o.ledgerSchema, FINANCE_PROJECTOR, { deferIndexes: true, copyLog: !o.reader.inDatabase });
  let events = 0;
  const upTo = o.upTo ?? (await o.reader.head());
  const projector = new Projector({
    db: o.db,
    reader: o.reader,
    schema: o.schema,
    ledgerSchema: o.ledgerSchema,
    holder: `rebuild-${process.pid}`,
    batchSize: o.batchSize ?? 100_000,
    pageSize: o.pageSize,
    leaseMs: 600_000,
    quiet: true,
    prefetch: o.prefetch,
    foldThread: o.foldThread ?? (readsPages(o.reader) && upTo > 200_000n),
    onBatch: (b) => {
      events += b.events;
      o.onProgress?.(b.to, events);
    },
  });
  let position: GlobalPosition;
  try {
    position = await projector.runUntil(upTo);
  } finally {
    await projector.stop(); // the rebuild's lease is given up: a projector on this schema (once switched) takes it at once
  }
  await createReadModelIndexes(o.db, o.schema);
  for (const t of READ_MODEL_TABLES) await o.db.query(`ANALYZE ${o.schema}.${t.name}`); // PGlite never does it by itself
  return { schema: o.schema, position, events, ms: Date.now() - started };
}

/** Brings a rebuilt schema forward to `target` (it already holds everything up to its checkpoint). */
export async function advanceReadModels(o: Omit<RebuildOptions, 'upTo'> & { upTo: GlobalPosition }): Promise<GlobalPosition> {
  const projector = new Projector({
    db: o.db,
    reader: o.reader,
    schema: o.schema,
    ledgerSchema: o.ledgerSchema,
    holder: `rebuild-${process.pid}`,
    batchSize: o.batchSize ?? 100_000,
    leaseMs: 600_000,
    quiet: true,
  });
  try {
    return await projector.runUntil(o.upTo);
  } finally {
    await projector.stop();
  }
}

export interface TableComparison {
  table: string;
  liveRows: number;
  rebuiltRows: number;
  liveDigest: string;
  rebuiltDigest: string;
  same: boolean;
  /** The first rows (in key order) that differ: missing on one side, or different. */
  differences: { key: Record<string, unknown>; live: Record<string, unknown> | null; rebuilt: Record<string, unknown> | null }[];
}

export interface Comparison {
  live: { schema: string; position: GlobalPosition };
  rebuilt: { schema: string; position: GlobalPosition };
  tables: TableComparison[];
  identical: boolean;
}

const positionOf = (db: SqlExecutor, schema: string): Promise<GlobalPosition> => financeCheckpoint(db, schema).position();

export const schemaExists = async (db: Pick<SqlClient, 'query'>, schema: string): Promise<boolean> =>
  (await db.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema])).length === 1;

/** Digest of a table: md5 over the md5 of each row's text, in key order. */
const digestSql = (schema: string, t: ReadModelTable) =>
  `SELECT count(*) AS n, md5(coalesce(string_agg(md5(x::text), '' ORDER BY ${t.key.map((k) => `x.${k}`).join(', ')}), '')) AS digest
   FROM ${schema}.${t.name} x`;

/** Each read model table's row count and digest (as `npm run replay -- --verify` prints them), with the checkpoint. */
export async function readModelDigests(
  db: SqlClient,
  schema: string,
): Promise<{ position: GlobalPosition; tables: Record<string, { rows: number; digest: string }> }> {
  checkSchemaName(schema);
  return db.transaction(
    async (tx) => {
      const tables: Record<string, { rows: number; digest: string }> = {};
      for (const t of READ_MODEL_TABLES) {
        const [r] = await tx.query<{ n: bigint | string; digest: string }>(digestSql(schema, t));
        tables[t.name] = { rows: Number(r.n), digest: r.digest };
      }
      return { position: await positionOf(tx, schema), tables };
    },
    { beginWith: 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ' },
  );
}

/**
 * Compares two read model schemas as of the same checkpoint: when the live projector has moved
 * on, the rebuilt schema is brought forward to the live checkpoint and the comparison repeated,
 * each time in one REPEATABLE READ snapshot.
 */
export async function compareReadModels(o: {
  db: SqlClient;
  reader: LogReader;
  ledgerSchema: string;
  live: string;
  rebuilt: string;
  maxDifferences?: number;
  attempts?: number;
}): Promise<Comparison> {
  for (let attempt = 1; ; attempt++) {
    const livePosition = await positionOf(o.db, o.live);
    const rebuiltPosition = await positionOf(o.db, o.rebuilt);
    if (rebuiltPosition < livePosition) {
      await advanceReadModels({ db: o.db, reader: o.reader, schema: o.rebuilt, ledgerSchema: o.ledgerSchema, upTo: livePosition });
    }
    const result = await o.db.transaction(
      async (tx) => {
        const live = await positionOf(tx, o.live);
        const rebuilt = await positionOf(tx, o.rebuilt);
        if (live !== rebuilt && attempt < (o.attempts ?? 5)) return undefined; // the live one moved meanwhile: again
        const tables: TableComparison[] = [];
        for (const t of READ_MODEL_TABLES) {
          const [l] = await tx.query<{ n: bigint | string; digest: string }>(digestSql(o.live, t));
          const [r] = await tx.query<{ n: bigint | string; digest: string }>(digestSql(o.rebuilt, t));
          const same = l.digest === r.digest && BigInt(l.n) === BigInt(r.n);
          const differences: TableComparison['differences'] = [];
          if (!same) {
            const on = t.key.map((k) => `l.${k} = r.${k}`).join(' AND ');
            const keyExpr = t.key.map((k) => `coalesce(l.${k}, r.${k})`);
            const rows = await tx.query<{
              key: Record<string, unknown>;
              live: Record<string, unknown> | null;
              rebuilt: Record<string, unknown> | null;
            }>(
              `SELECT json_build_object(${t.key.map((k, i) => `'${k}', ${keyExpr[i]}`).join(', ')}) AS key,
               CASE WHEN l.${t.key[0]} IS NULL THEN NULL ELSE row_to_json(l) END AS live,
               CASE WHEN r.${t.key[0]} IS NULL THEN NULL ELSE row_to_json(r) END AS rebuilt
             FROM ${o.live}.${t.name} l FULL JOIN ${o.rebuilt}.${t.name} r ON ${on}
             WHERE l.${t.key[0]} IS NULL OR r.${t.key[0]} IS NULL OR l::text <> r::text
             ORDER BY ${keyExpr.join(', ')} LIMIT ${o.maxDifferences ?? 5}`,
            );
            differences.push(...rows);
          }
          tables.push({
            table: t.name,
            liveRows: Number(l.n),
            rebuiltRows: Number(r.n),
            liveDigest: l.digest,
            rebuiltDigest: r.digest,
            same,
            differences,
          });
        }
        return {
          live: { schema: o.live, position: live },
          rebuilt: { schema: o.rebuilt, position: rebuilt },
          tables,
          identical: live === rebuilt && tables.every((t) => t.same),
        };
      },
      { beginWith: 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ' },
    );
    if (result) return result;
  }
}

/**
 * Makes `rebuilt` the live schema in one transaction: the live one is renamed away and dropped,
 * with the live projector's lease; the rebuilt schema's leases are freed (the rebuild gave its own
 * up already). A projector running on the live schema then has its next batch refused (its lease
 * is gone, the checkpoint is the rebuilt one), takes the free lease and goes on from the rebuilt
 * checkpoint.
 */
export async function switchReadModels(db: SqlClient, live: string, rebuilt: string): Promise<void> {
  checkSchemaName(live);
  checkSchemaName(rebuilt);
  const retired = checkSchemaName(`${live}_old`.slice(0, 63));
  await db.transaction(async (tx) => {
    await freeLeases(tx, rebuilt);
    await tx.query(`DROP SCHEMA IF EXISTS ${retired} CASCADE`);
    if (await schemaExists(tx, live)) await tx.query(`ALTER SCHEMA ${live} RENAME TO ${retired}`);
    await tx.query(`ALTER SCHEMA ${rebuilt} RENAME TO ${live}`);
    await tx.query(`DROP SCHEMA IF EXISTS ${retired} CASCADE`);
  });
}

/** A human-readable report of a comparison. */
export function formatComparison(c: Comparison): string {
  const lines = [
    `live read models ${c.live.schema} at position ${c.live.position}, rebuilt ${c.rebuilt.schema} at position ${c.rebuilt.position}`,
  ];
  const w = Math.max(...c.tables.map((t) => t.table.length));
  for (const t of c.tables) {
    lines.push(
      `  ${t.table.padEnd(w)}  ${t.same ? 'same     ' : 'DIFFERENT'}  rows ${t.liveRows} / ${t.rebuiltRows}  digest ${t.liveDigest}${t.same ? '' : ` / ${t.rebuiltDigest}`}`,
    );
    for (const d of t.differences) {
      lines.push(
        `      key ${JSON.stringify(d.key)}`,
        `        live:    ${JSON.stringify(d.live)}`,
        `        rebuilt: ${JSON.stringify(d.rebuilt)}`,
      );
    }
  }
  lines.push(
    c.identical
      ? 'IDENTICAL: the live read models are what the log says.'
      : 'DIFFERENT: the live read models do not match a rebuild from the log.',
  );
  return lines.join('\n');
}

export interface ReplayOptions {
  db: SqlClient;
  reader: LogReader;
  /** The store's schema: the live read models are `<it>_rm`, the rebuild goes to `<it>_rm_replay`. */
  ledgerSchema: string;
  verify?: boolean;
  switch?: boolean;
  /** Keep the rebuilt schema when not switching (default: dropped). */
  keep?: boolean;
  batchSize?: number;
  maxDifferences?: number;
  print?(line: string): void;
}

export interface ReplayOutcome {
  rebuilt: RebuildResult;
  comparison?: Comparison;
  switched: boolean;
  /**
   * 0: identical at the head (or not verified); 1: the live read models differ from the rebuild
   * (or are missing); 3: identical at the live checkpoint, which is behind the head (`behindBy`).
   */
  exitCode: number;
  /** With verify: how many positions of the log the live read models had not applied yet when compared. */
  behindBy?: bigint;
}

/** Exit code of a verify whose live read models are right but behind the head (a projector off, or catching up). */
export const EXIT_BEHIND = 3;

/** `npm run replay`: rebuild, optionally verify against the live read models, optionally switch. */
export async function runReplay(o: ReplayOptions): Promise<ReplayOutcome> {
  const print = o.print ?? (() => undefined);
  const live = `${o.ledgerSchema}_rm`;
  const rebuiltSchema = checkSchemaName(`${o.ledgerSchema}_rm_replay`);
  const head = await o.reader.head();
  // To verify, rebuild to where the live read models stand (never past them: a comparison needs one
  // position on both sides); the comparison brings the rebuild forward if the live ones move on.
  const liveExists = o.verify ? await schemaExists(o.db, live) : false;
  const livePosition = liveExists ? await financeCheckpoint(o.db, live).position() : undefined;
  const upTo = livePosition !== undefined && livePosition < head ? livePosition : head;
  print(
    `rebuilding every read model from the log (${upTo === head ? `${head} events` : `up to position ${upTo}, where the live read models stand; the head is ${head}`}) into ${rebuiltSchema}`,
  );
  let shown = Date.now();
  const rebuilt = await rebuildReadModels({
    db: o.db,
    reader: o.reader,
    schema: rebuiltSchema,
    ledgerSchema: o.ledgerSchema,
    upTo,
    batchSize: o.batchSize,
    onProgress: (position, events) => {
      if (Date.now() - shown > 2000) {
        shown = Date.now();
        print(`  ${events} events applied (position ${position})`);
      }
    },
  });
  print(
    `rebuilt ${rebuilt.events} events in ${(rebuilt.ms / 1000).toFixed(2)} s (${Math.round((rebuilt.events / Math.max(1, rebuilt.ms)) * 1000)} events/s)`,
  );
  let comparison: Comparison | undefined;
  let exitCode = 0;
  let behindBy: bigint | undefined;
  if (o.verify) {
    if (!liveExists) {
      print(`no live read models in ${live}: nothing to verify against`);
      exitCode = 1;
    } else {
      comparison = await compareReadModels({
        db: o.db,
        reader: o.reader,
        ledgerSchema: o.ledgerSchema,
        live,
        rebuilt: rebuiltSchema,
        maxDifferences: o.maxDifferences,
      });
      print(formatComparison(comparison));
      behindBy = (await o.reader.head()) - comparison.live.position;
      if (!comparison.identical) exitCode = 1;
      else if (behindBy > 0n) {
        exitCode = EXIT_BEHIND;
        print(
          `BEHIND: identical at position ${comparison.live.position}, but the live read models are behind the head by ${behindBy} positions of the log (is the projector running? LEDGER_PROJECTOR, npm run projector)`,
        );
      }
    }
  }
  let switched = false;
  if (o.switch) {
    await switchReadModels(o.db, live, rebuiltSchema);
    switched = true;
    print(`switched: ${live} is now the rebuilt read models (a running projector goes on from position ${rebuilt.position} or later)`);
  } else if (!o.keep) {
    await o.db.query(`DROP SCHEMA IF EXISTS ${rebuiltSchema} CASCADE`);
  } else {
    print(`kept the rebuilt read models in ${rebuiltSchema}`);
  }
  return { rebuilt, comparison, switched, exitCode, ...(behindBy !== undefined ? { behindBy } : {}) };
}
