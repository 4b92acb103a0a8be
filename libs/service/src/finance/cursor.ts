// Opaque page cursors. A cursor of entries or invoices is a place in the global log (position,
// and the entry's index within its event): new events only ever come after the newest position,
// so paging is stable while writes continue: no row is skipped or shown twice. A cursor of the
// account directory is the last account id of its page (accounts are listed in id order and never
// removed: an account opened meanwhile shows on a later page if its id sorts after the cursor,
// on none of this walk's pages otherwise; none is skipped or shown twice).
import { failed, ok, Result } from '../kit/failure';
import { ACCOUNT_ID } from '../kit/input-limits';

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
  const bad = () => notOurs<LogPlace | undefined>();
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return bad();
  const m = FORMAT.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!m || m[1] !== (kind === 'entries' ? 'e' : 'i')) return bad();
  const position = BigInt(m[2]);
  if (position > 2n ** 63n - 1n) return bad();
  return ok({ position, seq: Number(m[3]) });
}

const notOurs = <T>(): Result<T> =>
  failed<T>('invalid', 'cursor is not a cursor of this list: pass the nextCursor of a previous page', [
    { field: 'cursor', message: 'not a cursor of this list' },
  ]);

/** The directory's cursor: after this account id. */
export const encodeAccountCursor = (accountId: string): string => Buffer.from(`a1.${accountId}`).toString('base64url');

/** The account id a directory cursor names (none without a cursor); `invalid` naming `cursor` otherwise. */
export function decodeAccountCursor(cursor: string | undefined): Result<string | undefined> {
  if (cursor === undefined) return ok(undefined);
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return notOurs();
  const text = Buffer.from(cursor, 'base64url').toString('latin1');
  if (!text.startsWith('a1.') || !ACCOUNT_ID.test(text.slice(3))) return notOurs();
  return ok(text.slice(3));
}
