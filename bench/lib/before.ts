// The tree "before": the whole tree of commit BEFORE_BASE (git archive), its own bench/ included,
// run beside this tree in the same `npm run bench`, so before and after run on the same machine
// under the same load. "Before" is the last commit before the work on throughput and
// observability (issue 15): what it changed is measured against it.
import { execFileSync } from 'child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync } from 'fs';
import { join } from 'path';
import { tmpdir } from 'os';

/** The last commit before the work of issue 15 (throughput, observability). */
export const BEFORE_BASE = '27fa67b';

export const BEFORE_DESCRIPTION = `"Before" is the whole tree of commit ${BEFORE_BASE}, the last before the work on throughput and observability (issue 15), with its own bench/; "after" is this tree.`;

export function prepareBefore(root: string): { dir: string; description: string; cleanup(): void } | undefined {
  const git = (args: string[]) => execFileSync('git', args, { cwd: root, maxBuffer: 1 << 30 });
  try {
    git(['cat-file', '-e', `${BEFORE_BASE}^{commit}`]);
  } catch {
    process.stderr.write(`[bench main] commit ${BEFORE_BASE} is not in this clone: no "before" runs\n`);
    return undefined;
  }
  const dir = join(tmpdir(), `ledger-bench-before-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-x', '-C', dir], { input: git(['archive', '--format=tar', BEFORE_BASE]), maxBuffer: 1 << 30 });
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, description: BEFORE_DESCRIPTION, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
