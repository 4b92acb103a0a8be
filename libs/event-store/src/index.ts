export * from './port';
export * from './sql';
export * from './subscription';
export * from './open-event-store';
export * from './kurrentdb/kurrentdb-event-store';
