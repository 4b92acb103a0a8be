// The API keys of the ledger, folded from their stream in the log (`api-keys`): issue and revoke
// append there, so every process reads the same keys and an auditor can replay them. This process
// sees its own issues and revocations at once, another process's within `refreshMs` (and an
// unknown secret makes it look at the log before it says no).
import { Logger } from '@nestjs/common';
import {
  ApiKey,
  Caller,
  callerOf,
  decideKeys,
  emptyKeys,
  evolveKeys,
  Instant,
  KeyCommand,
  KeyEvent,
  KeysState,
  KEYS_STREAM,
  Role,
} from '@ledger/domain';
import { EventStore, RecordedEvent, WrongExpectedVersion } from '@ledger/event-store';
import { Failure, ok, Result } from '../kit/failure';
import { AccessConfig, sha256Hex } from './access-config';
import { newKeyId, newSecret, sameDigest } from './secrets';

/** The caller LEDGER_ADMIN_KEY makes. */
export const ENV_ADMIN: Caller = { keyId: 'env:LEDGER_ADMIN_KEY', role: 'admin' };

export interface IssueRequest {
  role: Role;
  name: string;
  accountId?: string;
  expiresAt?: Instant;
}

/** A key as the API shows it (api.md "Access"): never its secret, nor its hash. */
export interface KeyView {
  id: string;
  prefix: string;
  role: Role;
  name: string;
  accountId: string | null;
  createdAt: Instant;
  expiresAt: Instant | null;
  issuedBy: string;
  revokedAt: Instant | null;
  lastUsedAt: Instant | null;
}

export interface KeyRecord {
  position: string;
  type: KeyEvent['type'];
  data: Record<string, unknown>;
  recordedAt: Instant;
}

const APPEND_TRIES = 5;

export class KeyBook {
  private readonly log = new Logger('KeyBook');
  private state: KeysState = emptyKeys();
  private readAt = -Infinity;
  private reading?: Promise<void>;

  constructor(
    private readonly store: EventStore,
    private readonly config: Pick<AccessConfig, 'adminKeyHash' | 'refreshMs'>,
    /** Wall-clock time: keys expire in real time, also while the ledger's clock is simulated. */
    private readonly now: () => Instant = () => new Date().toISOString(),
  ) {}

  /** The caller a presented secret makes now, or undefined (unknown, revoked or expired alike). */
  async authenticate(secret: string): Promise<Caller | undefined> {
    const hash = sha256Hex(secret);
    if (this.config.adminKeyHash && sameDigest(hash, this.config.adminKeyHash)) return ENV_ADMIN;
    if (Date.now() - this.readAt >= this.config.refreshMs) await this.catchUp();
    let caller = this.known(hash);
    if (!caller && !this.state.byHash.has(hash)) {
      await this.catchUp(); // issued a moment ago by another process?
      caller = this.known(hash);
    }
    return caller;
  }

  async issue(request: IssueRequest, issuedBy: string): Promise<Result<{ key: KeyView; secret: string }>> {
    const fresh = newSecret(request.role);
    const keyId = newKeyId();
    const r = await this.decideAndAppend(() => ({
      type: 'IssueKey',
      keyId,
      role: request.role,
      name: request.name,
      ...(request.accountId ? { accountId: request.accountId } : {}),
      prefix: fresh.prefix,
      hash: fresh.hash,
      ...(request.expiresAt ? { expiresAt: request.expiresAt } : {}),
      issuedBy,
      now: this.now(),
    }));
    if (!r.ok) return r;
    return ok({ key: this.view(this.state.keys.get(keyId)!), secret: fresh.secret });
  }

  async revoke(keyId: string, revokedBy: string): Promise<Result<KeyView>> {
    const r = await this.decideAndAppend(() => ({ type: 'RevokeKey', keyId, revokedBy, now: this.now() }));
    return r.ok ? ok(this.view(this.state.keys.get(keyId)!)) : r;
  }

  async list(lastUsed: (keyId: string) => Instant | null = () => null): Promise<KeyView[]> {
    await this.catchUp();
    return [...this.state.keys.values()].map((k) => this.view(k, lastUsed(k.keyId)));
  }

  /** The key stream as recorded (issue and revoke, oldest first), without the hashes. */
  async history(): Promise<KeyRecord[]> {
    const events = await this.store.readStream(KEYS_STREAM, 1);
    return events.map((e) => {
      const { hash: _hash, ...data } = e.data;
      return { position: e.globalPosition.toString(), type: e.type as KeyEvent['type'], data, recordedAt: e.recordedAt.toISOString() };
    });
  }

  /** Folds what the log holds beyond what this process has seen (one read at a time). */
  async catchUp(): Promise<void> {
    this.reading ??= (async () => {
      try {
        const started = Date.now();
        const events = await this.store.readStream(KEYS_STREAM, this.state.version + 1);
        this.fold(events);
        this.readAt = started;
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  private known(hash: string): Caller | undefined {
    return callerOf(this.state, hash, this.now());
  }

  private fold(events: RecordedEvent[]): void {
    for (const e of events) this.state = evolveKeys(this.state, { type: e.type, data: e.data } as KeyEvent);
  }

  /** Decides on the newest state and appends at its version; another writer in between means decide again. */
  private async decideAndAppend(command: () => KeyCommand): Promise<Result<void>> {
    for (let attempt = 1; ; attempt++) {
      await this.catchUp();
      const decision = decideKeys(command(), this.state);
      if (!decision.ok) {
        const { error, message, field } = decision.rejection;
        return { ok: false, failure: { error, message, details: field ? [{ field, message }] : [] } satisfies Failure };
      }
      if (decision.events.length === 0) return ok(undefined);
      try {
        await this.store.append([{ streamId: KEYS_STREAM, expectedVersion: this.state.version, events: decision.events }]);
        for (const e of decision.events) this.state = evolveKeys(this.state, e);
        return ok(undefined);
      } catch (err) {
        if (!(err instanceof WrongExpectedVersion) || attempt >= APPEND_TRIES) throw err;
        this.log.debug(`key stream moved under us (attempt ${attempt}); deciding again`);
      }
    }
  }

  private view(k: ApiKey, lastUsedAt: Instant | null = null): KeyView {
    return {
      id: k.keyId,
      prefix: k.prefix,
      role: k.role,
      name: k.name,
      accountId: k.accountId ?? null,
      createdAt: k.createdAt,
      expiresAt: k.expiresAt ?? null,
      issuedBy: k.issuedBy,
      revokedAt: k.revokedAt ?? null,
      lastUsedAt,
    };
  }
}
