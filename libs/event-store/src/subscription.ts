import { EventStore, GlobalPosition, RecordedEvent } from './port';

export interface SubscriptionOptions {
  store: EventStore;
  /** Checkpoint name: one per consumer. */
  name: string;
  /** Most events per handle() call (default 500). */
  batchSize?: number;
  /** Wait between polls once caught up, in ms (default 50). */
  pollIntervalMs?: number;
  /** Called with each batch in order; the checkpoint moves past a batch only after this resolves. */
  handle(events: RecordedEvent[]): Promise<void> | void;
  /** Stops the subscription when aborted. */
  signal?: AbortSignal;
  /**
   * Called when a read, handle() or storing the checkpoint fails; the batch is then retried after
   * `retryDelayMs` (default 1000). Without it a failure stops the subscription: `done` rejects.
   */
  onError?(err: unknown): void;
  retryDelayMs?: number;
}

export interface Subscription {
  /** Resolves once every event up to the head at call time has been handled and checkpointed. */
  catchUp(): Promise<void>;
  /** Stops after the batch in progress; resolves when the loop has ended. */
  stop(): Promise<void>;
  /** Position of the last checkpointed event. */
  readonly position: GlobalPosition;
  /** Settles when the loop ends: resolves after stop(), rejects on an unhandled failure. */
  readonly done: Promise<void>;
}

interface Waiter {
  target: GlobalPosition;
  /** Reads started before the waiter existed cannot prove it caught up. */
  afterRead: number;
  resolve(): void;
  reject(err: unknown): void;
}

/** Polls readAll from the stored checkpoint and feeds the events to `handle`, at least once each. */
export function runSubscription(options: SubscriptionOptions): Subscription {
  const { store, name, handle, signal, onError } = options;
  const batchSize = options.batchSize ?? 500;
  const pollIntervalMs = options.pollIntervalMs ?? 50;
  const retryDelayMs = options.retryDelayMs ?? 1000;

  let position: GlobalPosition = 0n;
  let stopped = false;
  let reads = 0; // reads started so far
  let wake: (() => void) | undefined;
  let failure: unknown;
  const waiters = new Set<Waiter>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const settle = (caughtUpRead?: number) => {
    for (const w of waiters) {
      if (position >= w.target || (caughtUpRead !== undefined && caughtUpRead > w.afterRead)) {
        waiters.delete(w);
        w.resolve();
      }
    }
  };

  const loop = async () => {
    position = await store.loadCheckpoint(name);
    while (!stopped) {
      const read = ++reads;
      const events = await store.readAll(position, batchSize);
      if (events.length === 0) {
        settle(read); // this read saw everything committed before it started
        if (!stopped) await sleep(pollIntervalMs);
        continue;
      }
      await handle(events);
      const last = events[events.length - 1].globalPosition;
      await store.storeCheckpoint(name, last);
      position = last;
      settle();
    }
  };

  const run = async (): Promise<void> => {
    for (;;) {
      try {
        return await loop();
      } catch (err) {
        if (!onError || stopped) throw err;
        onError(err);
        await sleep(retryDelayMs);
        if (stopped) return;
      }
    }
  };

  const stop = () => {
    stopped = true;
    wake?.();
    return done.catch(() => undefined);
  };

  const done = run().then(
    () => {
      for (const w of waiters) w.reject(new Error(`subscription ${name} stopped`));
      waiters.clear();
    },
    (err) => {
      failure = err;
      for (const w of waiters) w.reject(err);
      waiters.clear();
      throw err;
    },
  );
  done.catch(() => undefined); // reported through `done` and catchUp(), never as unhandled

  if (signal?.aborted) void stop();
  else signal?.addEventListener('abort', () => void stop(), { once: true });

  return {
    get position() {
      return position;
    },
    done,
    stop,
    async catchUp() {
      const target = await store.headPosition();
      if (failure !== undefined) throw failure;
      if (stopped) throw new Error(`subscription ${name} stopped`);
      return new Promise<void>((resolve, reject) => {
        waiters.add({ target, afterRead: reads, resolve, reject });
        settle();
        wake?.(); // poll now rather than after the interval
      });
    },
  };
}
