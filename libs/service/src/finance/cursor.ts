// Opaque page cursors. A cursor is a place in the global log (position, and the entry's index
// within its event): new events only ever come after the newest position, so paging is stable
// while writes continue: no row is skipped or shown twice.
import { failed, ok, Result } from '../kit/failure';

export interface LogPlace {
  position: bigint;
  seq: number;
}

const FORMAT = /^(e|i)1\.(\d{1,19})\.(\d{1,5})$/;

export function encodeCursor(kind: 'entries' | 'invoices', place: LogPlace): string {
  return Buffer.from(`${kind === 'entries' ? 'e' : 'i'}1.${place.position}.${place.seq}`).toString('base64url');
}

/** The place a cursor names (none without a cursor); `invalid` naming `cursor` when it is not one of ours (or of another list). */
export function decodeCursor(kind: 'entries' | 'invoices', cursor: string | undefined): Result<LogPlace | undefined> {
  if (cursor === undefined) return ok(undefined);
  const bad = () =>
    failed<LogPlace | undefined>('invalid', 'cursor is not a cursor of this list: pass the nextCursor of a previous page', [
      { field: 'cursor', message: 'not a cursor of this list' },
    ]);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return bad();
  const m = FORMAT.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!m || m[1] !== (kind === 'entries' ? 'e' : 'i')) return bad();
  const position = BigInt(m[2]);
  if (position > 2n ** 63n - 1n) return bad();
  return ok({ position, seq: Number(m[3]) });
}
