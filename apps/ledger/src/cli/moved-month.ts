// The sample month moved to now, for send-sample.ts: a ledger on the wall clock refuses usage
// from before an account was opened and from more than 5 minutes ahead of its clock, so the
// month's events are laid over a short span just past: in their order and proportions, each
// session keeping its length, every id (and job and session id) tagged with the run.

export interface UsageEvent {
  id: string;
  type: string;
  time: string;
  subject: string;
  data: Record<string, unknown> & { jobId?: string; sessionId?: string; startedAt?: string; endedAt?: string };
  [field: string]: unknown;
}

/** The NDJSON `lines` of the month [month.start, month.end) laid over [from, to] (epoch ms), ids prefixed with `run-`. */
export function movedMonth(lines: string[], month: { start: string; end: string }, from: number, to: number, run: string): UsageEvent[] {
  const start = Date.parse(month.start);
  const scale = (to - from) / (Date.parse(month.end) - start);
  const at = (iso: string) => from + Math.floor((Date.parse(iso) - start) * scale);
  return lines.map((line) => {
    const e = JSON.parse(line) as UsageEvent;
    const time = at(e.time);
    const data = { ...e.data };
    if (data.jobId) data.jobId = `${run}-${data.jobId}`;
    if (data.sessionId) data.sessionId = `${run}-${data.sessionId}`;
    if (data.startedAt && data.endedAt) {
      // The session keeps its length and ends where it ended against the event's time.
      const length = Date.parse(data.endedAt) - Date.parse(data.startedAt);
      const endedAt = time + (Date.parse(data.endedAt) - Date.parse(e.time));
      data.endedAt = new Date(endedAt).toISOString();
      data.startedAt = new Date(endedAt - length).toISOString();
    }
    return { ...e, id: `${run}-${e.id}`, time: new Date(time).toISOString(), data };
  });
}
