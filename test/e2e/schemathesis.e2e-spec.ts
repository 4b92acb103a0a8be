// Schemathesis (from PyPI) against the OpenAPI document: deploy/schemathesis.sh installs it when
// missing, starts a throwaway ledger and runs it bounded in examples and time; any failure (an
// undocumented status, a schema-valid request refused, a wrong answer to an undeclared method...)
// fails this test with schemathesis's report. Skipped, saying why, without python3 and its venv.
import { spawn, spawnSync } from 'child_process';
import { join } from 'path';

const root = join(__dirname, '..', '..');
const python = spawnSync('python3', ['-c', 'import venv, ensurepip'], { encoding: 'utf8' });
const missing = python.error
  ? 'no python3 on PATH'
  : python.status !== 0
    ? 'python3 has no venv/ensurepip (apt-get install python3-venv)'
    : undefined;
if (missing) console.warn(`schemathesis test skipped: ${missing}`);
const describePython = missing ? describe.skip : describe;

describePython('schemathesis against the OpenAPI document', () => {
  it('finds no failure', async () => {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const run = spawn('bash', [join(root, 'deploy', 'schemathesis.sh')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      run.stdout.on('data', (chunk) => (output += chunk));
      run.stderr.on('data', (chunk) => (output += chunk));
      run.on('close', (code) => resolve({ code, output }));
    });
    if (code !== 0) throw new Error(`deploy/schemathesis.sh exited ${code}:\n${output.slice(-20_000)}`);
    expect(output).toMatch(/\b0 failures|passed/);
  }, 420_000);
});
