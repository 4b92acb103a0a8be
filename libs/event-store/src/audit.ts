// `npm run audit -- --verify-chain`: walks the log in order and recomputes every event's hash and the
// running digest (chain.ts) from the bytes stored, and names the first event that does not match.
import { ChainFold, GENESIS } from './chain';
import { EventStore, GlobalPosition, RecordedEvent } from './port';
import { SqlEventStore } from './sql/sql-event-store';

export type ChainFaultKind =
  /** Its type, data or metadata (or its stream or version) are not what was hashed. */
  | 'changed'
  /** It has no hash, though the store hashes every event. */
  | 'unhashed'
  /** Its stream's versions do not follow on: one is missing, repeated or moved. */
  | 'stream_order'
  /** A position of the log is missing (a store that numbers its log without gaps). */
  | 'position_gap'
  /** The running digest through it is not the one recorded: it moved in the log, one before it went, or its recorded time changed. */
  | 'digest'
  /** A stream's version or last hash as the store keeps them are not what its events make. */
  | 'stream_head'
  /** A digest published earlier is not the log's digest at that position now. */
  | 'published';

export interface ChainFault {
  kind: ChainFaultKind;
  /** The event named (absent for a fault of a position with no event). */
  streamId?: string;
  streamVersion?: number;
  position?: GlobalPosition;
  message: string;
}

export interface ChainReport {
  ok: boolean;
  /** Events walked. */
  events: number;
  /** Position and digest reached (through the last good event when a fault stopped the walk). */
  position: GlobalPosition;
  digest: string;
  fault?: ChainFault;
}

/** A digest given out before (GET /v1/audit/digest), to be found again. */
export interface PublishedDigest {
  position: GlobalPosition;
  digest: string;
}

export interface VerifyChainOptions {
  /** Positions are 1, 2, 3, ... (SQL): a missing one is a fault by itself. */
  gapFree?: boolean;
  /** Every event must carry its hash (SQL, where events written before the chain are backfilled). */
  requireHashes?: boolean;
  /** The streams' versions and chain heads as the store keeps them (SQL's streams table), in pages. */
  streamHeads?: (afterId: string | null, max: number) => Promise<{ streamId: string; version: number; hash: string | null }[]>;
  /** Digests published before, to compare. */
  published?: PublishedDigest[];
  pageSize?: number;
  onProgress?(position: GlobalPosition, events: number): void;
}

const at = (e: RecordedEvent) => `stream ${e.streamId} version ${e.streamVersion} (global position ${e.globalPosition})`;
const fault = (kind: ChainFaultKind, e: RecordedEvent, message: string): ChainFault => ({
  kind,
  streamId: e.streamId,
  streamVersion: e.streamVersion,
  position: e.globalPosition,
  message: `${at(e)}: ${message}`,
});

/** Walks the whole log of `store` and reports the first event whose bytes or place do not match. */
export async function verifyChain(store: EventStore, o: VerifyChainOptions = {}): Promise<ChainReport> {
  const fold = new ChainFold();
  const published = [...(o.published ?? [])].sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
  const report = (f?: ChainFault): ChainReport => ({ ok: !f, events: fold.events, position: fold.position, digest: fold.digest, fault: f });
  /** Published digests at positions before `next` must be the digest folded so far. */
  const checkPublished = (next: GlobalPosition | undefined): ChainFault | undefined => {
    while (published.length > 0 && (next === undefined || published[0].position < next)) {
      const p = published.shift()!;
      if (next === undefined && p.position > fold.position) {
        return {
          kind: 'published',
          position: p.position,
          message: `a digest was published at global position ${p.position}, but the log ends at ${fold.position}: events were removed from its end`,
        };
      }
      if (p.digest !== fold.digest) {
        return {
          kind: 'published',
          position: p.position,
          message:
            `the log's digest at global position ${p.position} is ${fold.digest}, not the ${p.digest} published: ` +
            'an event at or before it was changed, removed, added or moved (and its hashes made anew)',
        };
      }
    }
    return undefined;
  };

  for (let after = 0n; ;) {
    const page = await store.readAll(after, o.pageSize ?? 5000);
    if (page.length === 0) break;
    for (const e of page) {
      const late = checkPublished(e.globalPosition);
      if (late) return report(late);
      if (o.gapFree && e.globalPosition !== fold.position + 1n) {
        return report(
          fault(
            'position_gap',
            e,
            `the log goes from position ${fold.position} to ${e.globalPosition}: ` +
              `${e.globalPosition - fold.position === 2n ? `position ${fold.position + 1n} is` : `positions ${fold.position + 1n} to ${e.globalPosition - 1n} are`} missing (removed)`,
          ),
        );
      }
      const stream = fold.streams.get(e.streamId) ?? { version: 0, hash: GENESIS };
      if (e.streamVersion !== stream.version + 1) {
        return report(
          fault(
            'stream_order',
            e,
            e.streamVersion <= stream.version
              ? `comes after version ${stream.version} of its stream in the log: out of order`
              : `follows version ${stream.version} of its stream: ${e.streamVersion - stream.version === 2 ? `version ${stream.version + 1} is` : `versions ${stream.version + 1} to ${e.streamVersion - 1} are`} missing (removed, or moved later in the log)`,
          ),
        );
      }
      const hash = fold.expectedHash(e);
      if (e.hash === undefined && o.requireHashes) {
        return report(fault('unhashed', e, 'has no hash, though every event of this store is hashed: its hash was removed'));
      }
      if (e.hash !== undefined && e.hash !== hash) {
        return report(
          fault(
            'changed',
            e,
            `its bytes do not match its hash (stored ${e.hash}, its type, data and metadata make ${hash}): changed after it was recorded`,
          ),
        );
      }
      fold.add(e, hash);
      if (e.logDigest !== undefined && e.logDigest !== fold.digest) {
        return report(
          fault(
            'digest',
            e,
            `the log's digest through it is not the one recorded (stored ${e.logDigest}, the log makes ${fold.digest}): ` +
              'it is not where it was recorded in the log, an event before it was removed, or its recorded time was changed',
          ),
        );
      }
    }
    after = page[page.length - 1].globalPosition;
    o.onProgress?.(after, fold.events);
  }
  const end = checkPublished(undefined);
  if (end) return report(end);
  if (o.streamHeads) {
    const seen = new Set<string>();
    for (let afterId: string | null = null; ;) {
      const heads = await o.streamHeads(afterId, 5000);
      if (heads.length === 0) break;
      for (const h of heads) {
        seen.add(h.streamId);
        const log = fold.streams.get(h.streamId) ?? { version: 0, hash: GENESIS };
        if (log.version !== h.version || (h.hash !== null && log.hash !== h.hash)) {
          const missing = h.version > log.version;
          return report({
            kind: 'stream_head',
            streamId: h.streamId,
            streamVersion: missing ? log.version + 1 : h.version,
            message:
              `stream ${h.streamId}: the store records it at version ${h.version}${h.hash !== null ? ` with last hash ${h.hash}` : ''}, ` +
              `its events in the log make version ${log.version} with last hash ${log.hash}` +
              (missing ? `: version ${log.version + 1} onwards were removed` : ''),
          });
        }
      }
      afterId = heads[heads.length - 1].streamId;
    }
    for (const [id, s] of fold.streams) {
      if (!seen.has(id)) {
        return report({
          kind: 'stream_head',
          streamId: id,
          streamVersion: s.version,
          message: `stream ${id}: it has events but the store has no record of it`,
        });
      }
    }
  }
  return report();
}

/**
 * What the store itself promises beyond the chain: a SQL store numbers its log without gaps, hashes
 * every event (backfilling what was written before the chain when it opens) and keeps each
 * stream's version and last hash in its streams table. KurrentDB promises none of these.
 */
export function chainChecksOf(store: EventStore): Pick<VerifyChainOptions, 'gapFree' | 'requireHashes' | 'streamHeads'> {
  if (!(store instanceof SqlEventStore)) return {};
  return { gapFree: true, requireHashes: true, streamHeads: (afterId, max) => store.readStreamHeads(afterId, max) };
}
