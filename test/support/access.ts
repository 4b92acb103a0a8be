// The first admin key of the test services (LEDGER_ADMIN_KEY), and an HTTP client that sends it:
// every spec talks to a ledger with access on, as production does. test/e2e/access.e2e-spec.ts
// checks the other roles and the refusals.
import request from 'supertest';

export const TEST_ADMIN_KEY = 'test-admin-key-0000000000000000000000000000000000000000';

/** The settings that make TEST_ADMIN_KEY an admin key. */
export const ADMIN_ENV = { LEDGER_ADMIN_KEY: TEST_ADMIN_KEY } as const;

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/** A supertest client of `server` sending `key` (the admin key unless told) with every request. */
export const asKey = (server: Parameters<typeof request.agent>[0], key: string = TEST_ADMIN_KEY) =>
  request.agent(server).set('Authorization', `Bearer ${key}`);
