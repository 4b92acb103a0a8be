// The tree "before the optimisations": this commit's files (git archive HEAD), with the hot-path
// files of issue 6 as they were before it, and this run's bench/ — so before and after differ
// only in those files and run on the same machine in the same `npm run bench`.
import { execFileSync } from 'child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { join } from 'path';
import { tmpdir } from 'os';


/** The last commit before the first hot-path optimisation of issue 6. */
export const BEFORE_BASE = 'c983696';
/** The files the optimisations changed (each restored from BEFORE_BASE). */
export const OPTIMISED_FILES = [
  'apps/ledger/src/usage/usage-event.ts',
  'libs/domain/src/account/codec.ts',
  'libs/event-store/src/sql/sql-event-store.ts',
  'apps/ledger/src/accounts/account-ledger.ts',
];
const STORE_FILE = 'libs/event-store/src/sql/sql-event-store.ts';

export const BEFORE_DESCRIPTION = `"Before" is this tree with ${OPTIMISED_FILES.map((f) => `\`${f}\``).join(', ')} as they were at commit ${BEFORE_BASE} (before the optimisations); everything else, bench/ included, is the same.`;

export function prepareBefore(root: string): { dir: string; description: string; cleanup(): void } | undefined {
  const git = (args: string[], opts = {}) => execFileSync('git', args, { cwd: root, maxBuffer: 1 << 30, ...opts });
  try {
    git(['cat-file', '-e', `${BEFORE_BASE}^{commit}`]);
  } catch {
    process.stderr.write(`[bench main] commit ${BEFORE_BASE} is not in this clone: no "before" runs\n`);
    return undefined;
  }
  const dir = join(tmpdir(), `ledger-bench-before-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tar = git(['archive', '--format=tar', 'HEAD']);
  execFileSync('tar', ['-x', '-C', dir], { input: tar, maxBuffer: 1 << 30 });
  for (const f of OPTIMISED_FILES) writeFileSync(join(dir, f), git(['show', `${BEFORE_BASE}:${f}`]));
  // The store of then kept nothing of its own appends in memory (recent-events.ts came later):
  // it answers the projector's recentAfter with nothing, so every read goes to the database.
  appendFileSync(join(dir, STORE_FILE), '\n(SqlEventStore.prototype as unknown as { recentAfter(): [] }).recentAfter = () => [];\n');
  rmSync(join(dir, 'bench'), { recursive: true, force: true });
  cpSync(join(root, 'bench'), join(dir, 'bench'), { recursive: true, filter: (src) => !src.includes(`${join('bench', '.work')}`) && !src.endsWith('RESULTS.md') });
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, description: BEFORE_DESCRIPTION, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
