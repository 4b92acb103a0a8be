// openapi.json and the producer client's types (libs/producer-client/src/api.d.ts) are committed,
// written by `npm run openapi`; this regenerates both from the running service's /docs/json and
// fails when they differ: a change of the API goes with its document and the client's types.
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { CLIENT_TYPES_FILE, OPENAPI_FILE, openApiText } from '../../apps/ledger/src/cli/openapi';
import { Ledger, startLedger } from './support';

const ROOT = join(__dirname, '..', '..');
const RERUN = 'the API changed: run `npm run openapi` and commit openapi.json and libs/producer-client/src/api.d.ts';

let ledger: Ledger;
let served: string;
beforeAll(async () => {
  ledger = await startLedger();
  served = openApiText((await ledger.http.get('/docs/json').expect(200)).body);
});
afterAll(() => ledger?.close());

describe('the committed OpenAPI document and the client types generated from it', () => {
  it('openapi.json is what the running service serves at /docs/json', () => {
    expect({ [RERUN]: served }).toEqual({ [RERUN]: readFileSync(OPENAPI_FILE, 'utf8') });
  });

  it('api.d.ts is what openapi-typescript makes of that document', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-openapi-'));
    try {
      writeFileSync(join(dir, 'openapi.json'), served);
      // the command npm run openapi runs, on the served document (openapi-typescript is an ES module jest cannot load)
      const types = execFileSync(
        process.execPath,
        ['-r', './deploy/register.js', 'apps/ledger/src/cli/openapi.ts', '--types-of', join(dir, 'openapi.json')],
        {
          cwd: ROOT,
          encoding: 'utf8',
        },
      );
      expect({ [RERUN]: types }).toEqual({ [RERUN]: readFileSync(CLIENT_TYPES_FILE, 'utf8') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
