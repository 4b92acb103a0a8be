// API keys as a decider: issuing and revoking are events of one stream in the log, so an auditor
// can replay which key could do what, when. The secret never enters here: the service makes it,
// shows it once and hands over only its SHA-256 and a readable prefix.
import { Instant } from '../time/instant';
import { Caller, isRole, Role } from './roles';

export const KEYS_STREAM = 'api-keys';

export interface ApiKey {
  keyId: string;
  role: Role;
  name: string;
  accountId?: string;
  /** What a person recognises the key by, e.g. `lk_finance_Xy3k9Q` (never enough to use it). */
  prefix: string;
  /** SHA-256 of the whole secret, hex. */
  hash: string;
  createdAt: Instant;
  expiresAt?: Instant;
  /** The key that issued it (`env:LEDGER_ADMIN_KEY`, `cli`, or a key id). */
  issuedBy: string;
  revokedAt?: Instant;
  revokedBy?: string;
}

export type KeyEvent =
  | { type: 'ApiKeyIssued'; data: Omit<ApiKey, 'revokedAt' | 'revokedBy'> }
  | { type: 'ApiKeyRevoked'; data: { keyId: string; revokedAt: Instant; revokedBy: string } };

export type KeyCommand =
  | {
      type: 'IssueKey';
      keyId: string;
      role: string;
      name: string;
      accountId?: string;
      prefix: string;
      hash: string;
      expiresAt?: Instant;
      issuedBy: string;
      now: Instant;
    }
  | { type: 'RevokeKey'; keyId: string; revokedBy: string; now: Instant };

export interface KeysState {
  /** Events folded: the stream's version, for the optimistic append. */
  version: number;
  keys: Map<string, ApiKey>;
  /** keyId by hash: the lookup of a presented secret. */
  byHash: Map<string, string>;
}

export type KeyRejection = { error: 'invalid' | 'key_not_found' | 'conflict'; message: string; field?: string };

export type KeyDecision = { ok: true; events: KeyEvent[] } | { ok: false; rejection: KeyRejection };

export const emptyKeys = (): KeysState => ({ version: 0, keys: new Map(), byHash: new Map() });

const refuse = (error: KeyRejection['error'], message: string, field?: string): KeyDecision => ({
  ok: false,
  rejection: { error, message, ...(field ? { field } : {}) },
});

export function decideKeys(command: KeyCommand, state: KeysState): KeyDecision {
  if (command.type === 'IssueKey') {
    const c = command;
    if (!isRole(c.role)) return refuse('invalid', `unknown role "${c.role}"`, 'role');
    if (c.role === 'account' && !c.accountId) return refuse('invalid', 'a key of role account must name its accountId', 'accountId');
    if (c.role !== 'account' && c.accountId)
      return refuse('invalid', `only a key of role account is bound to an account (this one is ${c.role})`, 'accountId');
    if (c.expiresAt !== undefined && c.expiresAt <= c.now) return refuse('invalid', 'expiresAt must be in the future', 'expiresAt');
    if (state.keys.has(c.keyId)) return refuse('conflict', `key ${c.keyId} exists already`, 'keyId');
    if (state.byHash.has(c.hash)) return refuse('conflict', 'a key with this secret exists already', 'key');
    return {
      ok: true,
      events: [
        {
          type: 'ApiKeyIssued',
          data: {
            keyId: c.keyId,
            role: c.role,
            name: c.name,
            ...(c.accountId ? { accountId: c.accountId } : {}),
            prefix: c.prefix,
            hash: c.hash,
            createdAt: c.now,
            ...(c.expiresAt ? { expiresAt: c.expiresAt } : {}),
            issuedBy: c.issuedBy,
          },
        },
      ],
    };
  }
  const key = state.keys.get(command.keyId);
  if (!key) return refuse('key_not_found', `unknown key ${command.keyId}`, 'id');
  // Revoking a revoked key again changes nothing and records nothing: the first revocation stands.
  if (key.revokedAt) return { ok: true, events: [] };
  return {
    ok: true,
    events: [{ type: 'ApiKeyRevoked', data: { keyId: key.keyId, revokedAt: command.now, revokedBy: command.revokedBy } }],
  };
}

/** The state after one event (a new state: keys are few, the copy is cheap). */
export function evolveKeys(state: KeysState, event: KeyEvent): KeysState {
  const keys = new Map(state.keys);
  const byHash = new Map(state.byHash);
  if (event.type === 'ApiKeyIssued') {
    keys.set(event.data.keyId, { ...event.data });
    byHash.set(event.data.hash, event.data.keyId);
  } else {
    const key = keys.get(event.data.keyId);
    if (key) keys.set(key.keyId, { ...key, revokedAt: event.data.revokedAt, revokedBy: event.data.revokedBy });
  }
  return { version: state.version + 1, keys, byHash };
}

export const foldKeys = (events: readonly KeyEvent[]): KeysState => events.reduce(evolveKeys, emptyKeys());

/** The caller a key makes at `now`, or why it makes none: unknown, revoked and expired keys all fail alike. */
export function callerOf(state: KeysState, hash: string, now: Instant): Caller | undefined {
  const keyId = state.byHash.get(hash);
  const key = keyId === undefined ? undefined : state.keys.get(keyId);
  if (!key || key.revokedAt !== undefined || (key.expiresAt !== undefined && key.expiresAt <= now)) return undefined;
  return { keyId: key.keyId, role: key.role, ...(key.accountId ? { accountId: key.accountId } : {}) };
}
