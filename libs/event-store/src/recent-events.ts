// The events this process appended most recently, by global position, so that readers in the same
// process (the process managers and projections beside an ingestor) take them from memory instead
// of reading back and parsing rows it has just written.
//
// Only committed appends go in, each as the exact run of positions the store gave it. The store
// numbers events without gaps, so position p here is the row p of the log: a read that starts
// here is served for as long as the positions follow on, and stops at the first one this process
// did not write (another writer's), which the caller then reads from the database.
import { GlobalPosition, RecordedEvent } from './port';

interface Run {
  first: GlobalPosition;
  events: RecordedEvent[];
}

export class RecentEvents {
  private runs: Run[] = [];
  private size = 0;

  /** Keeps at most about `capacity` events (whole appends; 0 keeps none). */
  constructor(private readonly capacity: number) {}

  /** One committed append's events, positions consecutive from `events[0].globalPosition`. */
  add(events: RecordedEvent[]): void {
    if (this.capacity <= 0 || events.length === 0) return;
    const run = { first: events[0].globalPosition, events };
    // Appends commit in position order, but their callbacks may run in either order.
    let i = this.runs.length;
    while (i > 0 && this.runs[i - 1].first > run.first) i--;
    this.runs.splice(i, 0, run);
    this.size += events.length;
    while (this.size > this.capacity && this.runs.length > 1) this.size -= this.runs.shift()!.events.length;
  }

  /**
   * Events after `after`, oldest first, at most `max`: those held here with consecutive positions
   * from `after + 1`. Empty when `after + 1` is not held (read it from the database).
   */
  after(after: GlobalPosition, max: number): RecordedEvent[] {
    const out: RecordedEvent[] = [];
    let next = after + 1n;
    for (const run of this.runs) {
      if (out.length >= max) break;
      const end = run.first + BigInt(run.events.length); // exclusive
      if (end <= next) continue;
      if (run.first > next) break; // a gap: not written here
      for (let i = Number(next - run.first); i < run.events.length && out.length < max; i++) out.push(run.events[i]);
      next = end;
    }
    return out;
  }
}
