// The main job on the embedded default: start the ledger on PGlite with simulated time, play
// a bundled month of usage for accounts on different plans, print a statement per account.
// With --serve the ledger stays up afterwards, with its dashboard, until Ctrl-C.
import { readInt } from '@ledger/service/kit/env';
import { DEMO_ACCOUNTS, DEMO_END, DEMO_START, issueKey, playDemoMonth, startDemoLedger } from './month';
import { printStatement } from './statement';

async function main(): Promise<void> {
  const serve = process.argv.slice(2).includes('--serve');
  // Serving: on PORT (3000 by default), so the dashboard's address is one to remember.
  const port = serve ? readInt(process.env, 'PORT', 3000, 0, 65535) : 0;
  const ledger = await startDemoLedger({ port });
  const { call } = ledger;
  console.log(`Usage ledger demo: embedded PGlite store in ${ledger.dataDir}, simulated time from ${DEMO_START}`);

  const month = await playDemoMonth(ledger);
  const { producer, finance } = month.keys;
  console.log(
    `Access: the demo made its own keys: admin (LEDGER_ADMIN_KEY, ${process.env.LEDGER_ADMIN_KEY ? 'from the shell' : 'random for this run'}) opened the accounts and moved the clock, producer ${producer.id} (${producer.prefix}...) sent the usage and holds, finance ${finance.id} (${finance.prefix}...) read the statements.\n`,
  );
  console.log(
    `Ingested ${month.events} sample events over HTTP with the producer client (libs/producer-client), day by day: ${month.counts.accepted} accepted, ${month.counts.duplicate} duplicates (resent), ${month.counts.rejected} rejected.`,
  );
  console.log(
    `A malformed event was ${month.bad.status}: ${month.bad.status === 'rejected' ? (month.bad.errors ?? []).map((e) => `${e.field}: ${e.message}`).join('; ') : ''}\n`,
  );
  console.log(`Holds on 15 January (acct_pro):\n${month.holds.map((l) => `  ${l}`).join('\n')}\n`);

  for (const a of DEMO_ACCOUNTS)
    await printStatement(ledger.as(finance.key), a.accountId, a.name, { gap: '2026-01-31T12:00:00.000Z', end: DEMO_END });

  if (!serve) {
    console.log('The dashboard (GET /dashboard) of this ledger: npm run demo -- --serve keeps it listening.');
    await ledger.close();
    return;
  }
  console.log(`Dashboard: ${ledger.base}/dashboard`);
  const scale = await issueKey(call, 'account', 'demo acct_scale', 'acct_scale');
  console.log(`Sign in with a key:\n  admin       ${ledger.adminKey}\n  finance     ${finance.key}\n  acct_scale  ${scale}`);
  console.log('Listening until Ctrl-C.');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
