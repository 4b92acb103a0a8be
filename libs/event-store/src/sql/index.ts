export * from './sql-client';
export * from './pglite-client';
export * from './pg-client';
export * from './sql-event-store';
export { checkSchemaName } from './schema';
