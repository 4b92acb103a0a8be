// The secret of an API key: 256 random bits behind a prefix that says what it is
// (`lk_<role>_`). Only its SHA-256 is kept. A plain hash is enough because the secret is random and
// long: there is no dictionary to try and 2^256 guesses to make, so a keyed hash (and a server
// secret to guard and rotate) would add nothing. The lookup is by hash, so a timing difference can
// only tell about the hash of the attacker's own guess; the final comparison is constant-time still.
import { randomBytes, timingSafeEqual } from 'crypto';
import { Role } from '@ledger/domain';
import { sha256Hex } from './access-config';

export interface NewSecret {
  /** The whole key: shown once, in the answer that issues it. */
  secret: string;
  /** Enough to recognise it in a list, never enough to use it. */
  prefix: string;
  hash: string;
}

export function newSecret(role: Role): NewSecret {
  const random = randomBytes(32).toString('base64url');
  const secret = `lk_${role}_${random}`;
  return { secret, prefix: `lk_${role}_${random.slice(0, 6)}`, hash: sha256Hex(secret) };
}

export const newKeyId = (): string => `key_${randomBytes(9).toString('base64url')}`;

/** Equal hex digests, in constant time. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer +([!-~]{1,512})\s*$/i.exec(header);
  return m ? m[1] : undefined;
}
