// When and how a batch of usage reached the ledger: the way in (for the batch histogram) and each
// event's arrival (for the lag to its committed charge). HTTP: the request's arrival, noted by the
// first middleware (noteArrival), before its body is read; Kafka: each record's timestamp.
import { IncomingMessage, ServerResponse } from 'http';
import { IngestSource } from '../kit/ledger-metrics';

export interface Arrival {
  source: IngestSource;
  /** Epoch milliseconds at which the event of `index` was received. */
  receivedAtMs(index: number): number;
}

const RECEIVED_AT = Symbol('receivedAtMs');
type Noted = IncomingMessage & { [RECEIVED_AT]?: number };

/** Express middleware, first of all: notes when the request arrived. */
export function noteArrival(req: IncomingMessage, _res: ServerResponse, next: () => void): void {
  (req as Noted)[RECEIVED_AT] = Date.now();
  next();
}

/** The arrival of an HTTP request's events: all at the request's arrival (now, if it was not noted). */
export function httpArrival(req: IncomingMessage): Arrival {
  const at = (req as Noted)[RECEIVED_AT] ?? Date.now();
  return { source: 'http', receivedAtMs: () => at };
}
