// The ledger in this process (the same Nest module as the service), on a simulated clock, and
// the accounts of a workload opened through it.
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AccountCommand, toInstant } from '@ledger/domain';
import { EventStoreConfig } from '@ledger/event-store';
import { LedgerModule } from '@ledger/service/ledger.module';
import { AccountLedger } from '@ledger/service/accounts/account-ledger';
import { LedgerItem } from '@ledger/service/accounts/ledger-item';
import { CLOCK, SimulatedClock } from '@ledger/service/kit/clock';
import { LedgerConfig, readConfig } from '@ledger/service/config';
import { UsageIngest } from '@ledger/service/usage/usage-ingest';
import { AccountSpec, CLOCK_AT, OPENED_AT } from './workload';

export interface InProcessLedger {
  app: INestApplicationContext;
  ledger: AccountLedger;
  ingest: UsageIngest;
  clock: SimulatedClock;
  config: LedgerConfig;
  close(): Promise<void>;
}

/** The settings of `names` that are set in `env`. */
const pick = (env: NodeJS.ProcessEnv, names: string[]) => Object.fromEntries(names.filter((n) => env[n]).map((n) => [n, env[n]!]));

export async function startLedger(store: EventStoreConfig, schema: string, extra: Partial<LedgerConfig> = {}): Promise<InProcessLedger> {
  const base = readConfig({
    LEDGER_SIMULATION: 'true',
    LEDGER_SIMULATION_START: OPENED_AT,
    LEDGER_SCHEMA: schema,
    LEDGER_STORE: 'pglite',
    ...(process.env.LEDGER_PROCESS ? { LEDGER_PROCESS: process.env.LEDGER_PROCESS } : {}),
    ...pick(process.env, ['LEDGER_PROJECTOR', 'LEDGER_PROJECTION_GATHER_MS', 'LEDGER_PROJECTOR_GATHER_MS']),
  });
  const config: LedgerConfig = { ...base, store, ...extra };
  const app = await NestFactory.createApplicationContext(LedgerModule.forRoot(config), { logger: ['error', 'warn'] });
  await app.init();
  return {
    app,
    config,
    ledger: app.get(AccountLedger),
    ingest: app.get(UsageIngest),
    clock: app.get(CLOCK) as SimulatedClock,
    close: () => app.close(),
  };
}

/** The commands that open an account and start its paid plans, all at OPENED_AT. */
export function openingCommands(a: AccountSpec, now = OPENED_AT): LedgerItem[] {
  const items: LedgerItem[] = [
    { accountId: a.accountId, command: { type: 'OpenAccount', accountId: a.accountId, name: a.name, now }, provenance: { via: 'bench' } },
  ];
  for (const p of a.plans) {
    const command: AccountCommand = {
      type: 'StartPlan',
      plan: p.plan,
      now,
      ...('autoRenew' in p ? { autoRenew: p.autoRenew } : {}),
      allowOverage: p.allowOverage,
      ...('contract' in p ? { contract: { ...p.contract } } : {}),
    } as AccountCommand;
    items.push({ accountId: a.accountId, command, provenance: { via: 'bench' } });
  }
  return items;
}

/** Opens the accounts through the ledger (batches of `batch` accounts), then moves the clock to CLOCK_AT. */
export async function openAccounts(
  l: InProcessLedger,
  specs: Iterable<AccountSpec>,
  batch = 1000,
  onProgress?: (n: number) => void,
): Promise<number> {
  let items: LedgerItem[] = [];
  let n = 0;
  let accounts = 0;
  const flush = async () => {
    const outcomes = await l.ledger.submit(items);
    const bad = outcomes.find((o) => o.status !== 'accepted');
    if (bad) throw new Error(`opening accounts: ${JSON.stringify(bad)}`);
    n += outcomes.length;
    items = [];
    onProgress?.(accounts);
  };
  for (const a of specs) {
    items.push(...openingCommands(a));
    accounts++;
    if (accounts % batch === 0) await flush();
  }
  if (items.length) await flush();
  l.clock.set(toInstant(CLOCK_AT));
  return n;
}
