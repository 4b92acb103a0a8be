export * from './port';
export * from './sql';
export * from './open-storage';
export * from './open-event-store';
export * from './kurrentdb/kurrentdb-event-store';
export * from './store-errors';
export * from './chain';
