// A readable statement of one account, from the public HTTP API only.
type Call = (method: string, path: string) => Promise<{ status: number; json: any }>;

const money = (cents: number) => `$${(cents / 100).toFixed(2)}`;
const day = (iso: string) => iso.slice(0, 16).replace('T', ' ');

/** Adds decimal credit strings exactly (as integers of millionths). */
const add = (a: string, b: string): string => {
  const micros = (s: string) => {
    const [w, f = ''] = s.replace('-', '').split('.');
    const v = BigInt(w) * 1_000_000n + BigInt(f.padEnd(6, '0'));
    return s.startsWith('-') ? -v : v;
  };
  const t = micros(a) + micros(b);
  const abs = t < 0n ? -t : t;
  const frac = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${t < 0n ? '-' : ''}${abs / 1_000_000n}${frac ? '.' + frac : ''}`;
};

export async function printStatement(call: Call, accountId: string, name: string, when: { gap: string; end: string }): Promise<void> {
  const balance = (await call('GET', `/v1/accounts/${accountId}/balances`)).json;
  const gap = (await call('GET', `/v1/accounts/${accountId}/balances?asOf=${when.gap}`)).json;
  const entries = (await call('GET', `/v1/accounts/${accountId}/entries`)).json.entries as any[];
  const invoices = (await call('GET', `/v1/invoices?accountId=${accountId}`)).json.invoices as any[];

  console.log(`== ${accountId}: ${name} ==`);
  for (const [wallet, w] of Object.entries<any>(balance.wallets)) {
    if (!w.plan && w.lots.length === 0 && w.uncovered === '0') continue;
    console.log(
      `  wallet ${wallet}: plan ${w.plan ?? '-'}, available ${w.available} credits as of ${day(balance.asOf)}` +
        `${w.uncovered !== '0' ? `, uncovered ${w.uncovered}` : ''}${w.exhausted ? ' (exhausted)' : ''}`,
    );
    for (const l of w.lots)
      console.log(`    lot ${l.lotId}: ${l.remaining} of ${l.granted} left, issued ${day(l.issuedAt)}, expires ${day(l.expiresAt)}`);
    console.log(`    on ${day(when.gap)} (the day-31 gap): available ${gap.wallets[wallet].available}`);
  }
  const byKind = new Map<string, { n: number; credits: string }>();
  for (const e of entries) {
    const k = byKind.get(e.kind) ?? { n: 0, credits: '0' };
    byKind.set(e.kind, { n: k.n + 1, credits: add(k.credits, e.credits) });
  }
  console.log(`  entries: ${[...byKind].map(([k, v]) => `${v.n} ${k} ${v.credits}`).join(' | ')}`);
  const flagged = entries.filter((e) => e.kind === 'charge' && e.usage.flags.length > 0);
  if (flagged.length)
    console.log(`  flagged for review: ${flagged.length} charges (${[...new Set(flagged.flatMap((e) => e.usage.flags))].join(', ')})`);
  for (const i of invoices) {
    console.log(
      `  invoice ${i.number} ${i.kind.padEnd(7)} ${money(i.totalCents).padStart(9)}  period ${day(i.period.startsAt)} .. ${day(i.period.endsAt)}`,
    );
    if (i.kind === 'overage')
      for (const l of i.lines) console.log(`      ${l.description} at ${l.unitPriceCents} cents/credit = ${money(l.amountCents)}`);
  }
  const renewals = entries.filter((e) => e.kind === 'forfeit' && e.reason === 'renewal');
  for (const r of renewals)
    console.log(`  auto-renewed at 90 % on ${day(r.at)}: ${r.credits.replace('-', '')} credits of the old grant forfeited`);
  const told = (await call('GET', `/v1/accounts/${accountId}/notifications?limit=5000`)).json.notifications as { kind: string }[];
  const tally = new Map<string, number>();
  for (const n of told) tally.set(n.kind, (tally.get(n.kind) ?? 0) + 1);
  console.log(`  notifications: ${told.length} (${[...tally].map(([k, n]) => `${n} ${k}`).join(', ')})`);
  console.log('');
}
