// Group commit: the batches of concurrent ingest calls (the Kafka partitions consumed side by side,
// HTTP requests arriving together) go to the ledger together, one transaction for several of them,
// instead of one after another under the store's writer lock. A call that finds the ledger idle is
// submitted at once (no waiting to gather); calls that arrive while `inFlight` groups are being
// appended make up the next group. Each call gets the outcomes of its own items, in its order; a
// failure of a group's submit (the store unavailable) is the failure of every call in it, each of
// which then retries as it would have alone. Items keep their order within a call and calls
// their arrival order within a group, so a partition's records are decided in offset order.
export class GroupCommit<I, O> {
  private readonly queue: { items: I[]; resolve: (out: O[]) => void; reject: (err: unknown) => void }[] = [];
  private running = 0;
  /** Groups submitted and calls grouped so far (for tests and metrics). */
  readonly stats = { groups: 0, calls: 0 };

  constructor(
    private readonly submit: (items: I[]) => Promise<O[]>,
    /** Most items in one group (a call larger than this goes alone). */
    private readonly maxItems: number,
    /** Groups submitted at once: 2 lets one group's deciding overlap another's round trips. */
    private readonly inFlight = 2,
  ) {}

  run(items: I[]): Promise<O[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<O[]>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    while (this.running < this.inFlight && this.queue.length > 0) {
      const group = [this.queue.shift()!];
      let size = group[0].items.length;
      while (this.queue.length > 0 && size + this.queue[0].items.length <= this.maxItems) {
        size += this.queue[0].items.length;
        group.push(this.queue.shift()!);
      }
      this.running++;
      this.stats.groups++;
      this.stats.calls += group.length;
      void this.flush(group).finally(() => {
        this.running--;
        this.next();
      });
    }
  }

  private async flush(group: { items: I[]; resolve: (out: O[]) => void; reject: (err: unknown) => void }[]): Promise<void> {
    let outcomes: O[];
    try {
      outcomes = await this.submit(group.length === 1 ? group[0].items : group.flatMap((g) => g.items));
    } catch (err) {
      for (const g of group) g.reject(err);
      return;
    }
    let at = 0;
    for (const g of group) {
      g.resolve(outcomes.slice(at, at + g.items.length));
      at += g.items.length;
    }
  }
}
