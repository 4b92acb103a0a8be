// The `access` section of the configuration (api.md "Access"): whether keys are checked, the first
// admin key, and the limits against abuse. The admin secret is hashed here, at start, and the
// secret itself is kept nowhere: the config object may be printed, its hash reveals nothing.
import { createHash } from 'crypto';
import { ConfigError, Env, isProduction, readChoice, readInt } from '../kit/env';

export interface AccessConfig {
  /** LEDGER_AUTH=on (default): every route but GET /health wants a key; off is for experiments only. */
  enabled: boolean;
  /** SHA-256 (hex) of LEDGER_ADMIN_KEY, the first admin key; none when unset. */
  adminKeyHash?: string;
  /** How stale another process's issues and revocations may be here, in ms (LEDGER_KEY_REFRESH_MS, 1000; 0 = read the log every request). */
  refreshMs: number;
  /** `lastUsedAt` is written at most this often per key (LEDGER_KEY_LAST_USED_MS, 60000). */
  lastUsedWriteMs: number;
  /** Requests per key and window on POST /v1/events and POST /v1/holds (LEDGER_RATE_LIMIT, 1200 per LEDGER_RATE_WINDOW_MS, 10000; 0 = no limit). */
  rateLimit: { limit: number; windowMs: number };
  /** Failed authentications per client address and window before it is refused for blockMs (LEDGER_AUTH_FAILURES, 20 per 60000 ms, blocked 60000 ms). */
  authFailures: { limit: number; windowMs: number; blockMs: number };
}

export const ACCESS_CONFIG = Symbol('ACCESS_CONFIG');

/** Shortest LEDGER_ADMIN_KEY accepted: it is a password with full power, it must not be guessable. */
export const MIN_ADMIN_KEY_LENGTH = 32;

export const sha256Hex = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

export function readAccessConfig(env: Env): AccessConfig {
  const auth = readChoice(env, 'LEDGER_AUTH', ['on', 'off'], 'on');
  if (auth === 'off' && isProduction(env))
    throw new ConfigError('LEDGER_AUTH', `(off) is refused in production (NODE_ENV=${env.NODE_ENV?.trim()}): every caller would be admin`);
  const admin = env.LEDGER_ADMIN_KEY;
  // The message never quotes the value: it is a secret even when it is a bad one.
  if (admin !== undefined && admin !== '' && (admin.length < MIN_ADMIN_KEY_LENGTH || /\s/.test(admin)))
    throw new ConfigError(
      'LEDGER_ADMIN_KEY',
      `must be at least ${MIN_ADMIN_KEY_LENGTH} characters without spaces (e.g. openssl rand -hex 32)`,
    );
  return {
    enabled: auth === 'on',
    ...(admin ? { adminKeyHash: sha256Hex(admin) } : {}),
    refreshMs: readInt(env, 'LEDGER_KEY_REFRESH_MS', 1000),
    lastUsedWriteMs: readInt(env, 'LEDGER_KEY_LAST_USED_MS', 60_000),
    rateLimit: { limit: readInt(env, 'LEDGER_RATE_LIMIT', 1200), windowMs: readInt(env, 'LEDGER_RATE_WINDOW_MS', 10_000, 1) },
    authFailures: {
      limit: readInt(env, 'LEDGER_AUTH_FAILURES', 20, 1),
      windowMs: readInt(env, 'LEDGER_AUTH_FAILURE_WINDOW_MS', 60_000, 1),
      blockMs: readInt(env, 'LEDGER_AUTH_BLOCK_MS', 60_000, 1),
    },
  };
}
