// The part of pg-copy-streams (no types of its own) the PostgreSQL client uses.
declare module 'pg-copy-streams' {
  import { Submittable } from 'pg';
  import { Writable } from 'stream';
  /** A COPY ... FROM STDIN query: write the data, end it; 'finish' once the server has it all. */
  export function from(text: string): Submittable & Writable;
}
