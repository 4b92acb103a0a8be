// PostgreSQL and Kafka for the benchmarks: the ones named by DATABASE_URL / KAFKA_BROKERS, else
// the project's own (deploy/postgres/start.sh, deploy/kafka/start.sh), started on demand.
import { execFileSync } from 'child_process';
import { readFileSync, readdirSync } from 'fs';
import { join } from 'path';
import { Client } from 'pg';

const ROOT = join(__dirname, '..', '..');

function startScript(script: string, variable: string): string {
  const out = execFileSync('bash', [join(ROOT, script)], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
  });
  const line = out
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith(`${variable}=`));
  if (!line) throw new Error(`${script} printed no ${variable}=...`);
  return line.slice(variable.length + 1);
}

export function databaseUrl(): string {
  process.env.DATABASE_URL ||= startScript('deploy/postgres/start.sh', 'DATABASE_URL');
  return process.env.DATABASE_URL;
}

export function kafkaBrokers(): string {
  process.env.KAFKA_BROKERS ||= startScript('deploy/kafka/start.sh', 'KAFKA_BROKERS');
  return process.env.KAFKA_BROKERS;
}

/** A fresh database on the server of `url` (dropped first if it exists); returns its URL. */
export async function freshDatabase(url: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function dropDatabase(url: string, name: string): Promise<void> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

export async function postgresVersion(url: string): Promise<string> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    const settings = await c.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'full_page_writes') ORDER BY name`,
    );
    return `PostgreSQL ${rows[0].v} (${settings.rows.map((r) => `${r.name}=${r.setting}`).join(', ')})`;
  } finally {
    await c.end();
  }
}

/**
 * The Node flags `npm run <script>` starts a service with (package.json, the words between `node`
 * and `-r`): the benchmarks start the services the same way.
 */
export function nodeFlagsOf(script: string): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const line = pkg.scripts[script];
  const m = line && /^node((?: --[^ ]+)*) -r /.exec(line);
  if (!m) throw new Error(`package.json script "${script}" does not start with node [flags] -r: ${line}`);
  return m[1].split(' ').filter(Boolean);
}

/**
 * CPU (ms, user + system) used so far by the processes of this machine that `pick` chooses, from
 * /proc (`comm` is the process name, `cmdline` its command line). A process that exited is gone
 * from the sum: read before and after while the processes measured still run.
 */
export function cpuMsOf(pick: (comm: string, cmdline: string, pid: number) => boolean): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = statOf(Number(entry));
      if (!stat) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!pick(stat.comm, cmdline, Number(entry))) continue;
      total += ticksMs(stat.fields[11], stat.fields[12]); // utime + stime
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** /proc/<pid>/stat: the process name and the fields after it (fields[0] is its state), or undefined once it is gone. */
function statOf(pid: number): { comm: string; fields: string[] } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), fields: stat.slice(stat.lastIndexOf(')') + 2).split(' ') };
  } catch {
    return undefined;
  }
}

/** Clock ticks (USER_HZ, 100 on Linux) to ms. */
const ticksMs = (...ticks: string[]): number => (ticks.reduce((sum, t) => sum + Number(t), 0) * 1000) / 100;

/**
 * CPU of the children `pid` has waited for (cutime + cstime): PostgreSQL's backends that have
 * ended, whose own /proc entries are gone, so a window in which connections close still
 * counts their work.
 */
function reapedChildrenMs(pid: number): number {
  const stat = statOf(pid);
  return stat ? ticksMs(stat.fields[13], stat.fields[14]) : 0;
}

/** The parent process id of `pid` (from /proc), or undefined. */
function parentOf(pid: number): number | undefined {
  const stat = statOf(pid);
  return stat ? Number(stat.fields[1]) : undefined;
}

/**
 * CPU of the PostgreSQL cluster the benchmarks use (the server on DATABASE_URL's port: its
 * postmaster and every process it started, the ended ones too), not of other clusters on the
 * machine.
 */
export function postgresCpuMs(): number {
  const port = new URL(databaseUrl()).port || '5432';
  let postmaster: number | undefined;
  cpuMsOf((comm, cmdline, pid) => {
    if (comm === 'postgres' && new RegExp(`(port=|-p )${port}\\b`).test(cmdline)) postmaster = pid;
    return false;
  });
  if (postmaster === undefined) return cpuMsOf((comm) => comm === 'postgres'); // a server started otherwise: all of them
  return (
    cpuMsOf((comm, _l, pid) => comm === 'postgres' && (pid === postmaster || parentOf(pid) === postmaster)) + reapedChildrenMs(postmaster)
  );
}

/** CPU of the Kafka broker (a JVM running kafka) and of one process. */
export const brokerCpuMs = (): number => cpuMsOf((comm, cmdline) => comm === 'java' && /kafka/i.test(cmdline));
export const processCpuMs = (pid: number): number => cpuMsOf((_c, _l, p) => p === pid);
