// Long folds on the one thread the ingest also runs on: every `every` items they let the event
// loop run what waits (Kafka batches, HTTP requests, their appends) before going on, so a
// projection's batch of hundreds of events does not hold the ingest for its whole length.
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Turns {
  private count = 0;
  constructor(private readonly every = 128) {}

  /** Counts one item; every `every`, resolves after a turn of the event loop. */
  async tick(): Promise<void> {
    if (++this.count % this.every === 0) await turn();
  }
}
