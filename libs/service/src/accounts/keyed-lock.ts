// One writer per account inside this process, so a cached state is never folded by two
// batches at once. Keys are taken in sorted order: two batches cannot wait on each other.
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async withKeys<T>(keys: Iterable<string>, work: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const releases: Array<() => void> = [];
    for (const key of sorted) {
      const prior = this.tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((r) => (release = r));
      const tail = prior.then(() => mine);
      this.tails.set(key, tail);
      releases.push(() => {
        release();
        if (this.tails.get(key) === tail) this.tails.delete(key);
      });
      await prior;
    }
    try {
      return await work();
    } finally {
      for (const release of releases) release();
    }
  }
}
