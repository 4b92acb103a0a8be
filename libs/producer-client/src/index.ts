// @usage-ledger/producer-client: typed usage events with stable ids, sent in batches with retries;
// holds placed and released. Types of requests and answers: api.d.ts, generated from the ledger's
// OpenAPI document (npm run openapi in the ledger's repository).
export { LedgerClient } from './client';
export type { EventOutcome, EventResult, Hold, HoldAnswer, HoldRequest, LedgerClientOptions, Refusal } from './client';
export { EVENT_ID_NAMESPACE, eventIdOf, renderCompleted, renderFailed, streamingSessionEnded, uuidV5 } from './events';
export type { Instant, RenderCompletedData, RenderFailedData, StreamingSessionEndedData, UsageEvent } from './events';
export type { components, paths } from './api';
