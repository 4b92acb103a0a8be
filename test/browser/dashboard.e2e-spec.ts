// The dashboard in a real browser: Debian's Chromium driven by playwright-core, over the ledger
// in-process with the demo's month played (apps/ledger/src/demo/month.ts). Signs in with a key,
// reads the overview and the directory, opens the demo's Scale account, checks what the page
// shows against the JSON API, follows a link to an invoice, downloads a CSV, and checks that a key
// bound to one account cannot reach another. Screenshots go to test-artifacts/dashboard/.
import { execFileSync } from 'child_process';
import { mkdirSync, readFileSync, rmSync } from 'fs';
import { join } from 'path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { formatCredits, parseCredits } from '@ledger/domain';
import { buildDashboard } from '../../apps/dashboard/build';
import { formatCents } from '../../apps/dashboard/src/amounts';
import { DemoLedger, issueKey, playDemoMonth, startDemoLedger } from '../../apps/ledger/src/demo/month';

const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts', 'dashboard');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

function chromiumPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const executablePath = chromiumPath();
if (!executablePath)
  console.warn("dashboard browser test skipped: no chromium on PATH (bash deploy/test-all.sh installs Debian's package)");
const describeInChromium = executablePath ? describe : describe.skip;

describeInChromium('the dashboard in Chromium, over the demo month', () => {
  let ledger: DemoLedger;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** The key the page signs in with (finance once keys exist), and one bound to acct_scale. */
  let keys: { finance: string; scale: string };

  /** GET a route of the API with `key`, as the page would. */
  const api = async (path: string, key = keys.finance) => {
    const res = await fetch(ledger.base + path, { headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, json: (await res.json()) as any };
  };
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    buildDashboard(); // the page under test is this tree's
    ledger = await startDemoLedger({ logger: ['error'] });
    await playDemoMonth(ledger);
    keys = {
      finance: await issueKey(ledger.call, 'finance', 'browser test: finance'),
      scale: await issueKey(ledger.call, 'account', 'browser test: acct_scale', 'acct_scale'),
    };
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (err) => console.error(`dashboard page error: ${err.message}`));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await ledger?.close();
    if (ledger) rmSync(ledger.dataDir, { recursive: true, force: true });
  });

  it('serves the page and its files without a key, and signs in with one kept in sessionStorage and sent as a bearer token', async () => {
    for (const file of ['/dashboard', '/dashboard/app.js', '/dashboard/style.css']) {
      const res = await fetch(ledger.base + file);
      expect([file, res.status]).toEqual([file, 200]);
    }
    await page.goto(`${ledger.base}/dashboard`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain('sign in');
    await shot('sign-in');

    await page.getByLabel('API key').fill(keys.finance);
    const sent = page.waitForRequest((r) => r.url().includes('/v1/'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect((await sent).headers().authorization).toBe(`Bearer ${keys.finance}`);
    await page.getByRole('heading', { level: 1, name: /Overview/ }).waitFor();
    expect(await page.evaluate("sessionStorage.getItem('ledger.dashboard.key')")).toBe(keys.finance);
  });

  it('shows the invoices of January and its overage and uncovered totals as the API gives them', async () => {
    await page.goto(`${ledger.base}/dashboard#/overview?month=2026-01`);
    await page.getByTestId('month-invoices-total').waitFor();
    const { json } = await api('/v1/invoices?from=2026-01-01T00:00:00.000Z&to=2026-02-01T00:00:00.000Z');
    const total = json.invoices.reduce((s: bigint, i: any) => s + BigInt(i.totalCents), 0n);
    expect(await page.getByTestId('month-invoices-total').textContent()).toBe(formatCents(total));
    expect(await page.getByTestId('invoices-table').locator('tbody tr').count()).toBe(json.invoices.length);

    const usage = (await api('/v1/usage?from=2026-01-01&to=2026-02-01&groupBy=month')).json;
    expect(await page.getByTestId('month-overage').textContent()).toBe('126.083344'); // acct_live's overage (the demo's statement)
    expect(usage.totals.byKind.map((k: any) => k.overage)).toContain('66.983344');
    expect(await page.getByTestId('month-uncovered').textContent()).toBe('0.5'); // acct_free's

    await page.getByTestId('flows-table').waitFor();
    const flows = (await api('/v1/reports/credit-flows?groupBy=month')).json.items as any[];
    const january = flows.filter((f) => f.period === '2026-01');
    const row = page.getByTestId('flows-table').locator('tbody tr', { hasText: '2026-01' });
    const granted = january.reduce((s, f) => s + parseCredits(f.granted), 0n);
    await expect(row.locator('td').nth(1).textContent()).resolves.toBe(formatCredits(granted));
    expect(await page.getByTestId('flows-chart').locator('canvas').count()).toBeGreaterThan(0);

    const attention = page.getByTestId('attention-table');
    await attention.waitFor();
    await expect(attention.locator('tbody tr', { hasText: 'acct_free' }).textContent()).resolves.toContain('uncovered');
    await shot('overview-2026-01');
  });

  it("opens the demo's Scale account from the directory and shows its balance as GET /v1/accounts/{id}/balances gives it", async () => {
    await page.goto(`${ledger.base}/dashboard#/accounts`);
    await page.getByLabel('Search accounts by id or name').fill('scale');
    await page.getByRole('button', { name: 'Search' }).click();
    const link = page.getByTestId('directory-table').getByRole('link', { name: 'acct_scale' });
    await link.waitFor();
    await shot('accounts');
    await link.click();
    await page.getByRole('heading', { level: 1, name: /acct_scale/ }).waitFor();
    const shown = page.getByTestId('balance-available-api');
    await shown.waitFor();
    const balances = (await api('/v1/accounts/acct_scale/balances')).json;
    expect(await shown.textContent()).toBe(balances.wallets.api.available);
    expect(balances.wallets.api.available).toBe('255');
    // The chart's series, derived from the entries and holds, ends where the balances route stands.
    expect(await page.getByTestId('series-end-api').textContent()).toBe(balances.wallets.api.available);
    expect(await page.getByTestId('chart-api').locator('canvas').count()).toBeGreaterThan(0);
    await expect(page.locator('#over-time').textContent()).resolves.toContain('renewed at 90 %');
    await page.getByTestId('entries-table').waitFor();
    await shot('account-acct_scale');
    await page.screenshot({
      path: join(ARTIFACTS, 'account-acct_scale-top.png'),
      fullPage: true,
      clip: { x: 0, y: 0, width: 1280, height: 1400 },
    });
    await page.locator('#over-time').screenshot({ path: join(ARTIFACTS, 'account-acct_scale-chart.png') });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate('scrollTo(0, 0)');
    await page.screenshot({ path: join(ARTIFACTS, 'account-acct_scale-phone.png') });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('follows a link to an invoice and shows its total', async () => {
    const link = page.locator('#invoices').getByRole('link', { name: 'INV-acct_scale-0002' });
    await link.click();
    await page.getByRole('heading', { level: 1, name: 'Invoice INV-acct_scale-0002' }).waitFor();
    const invoice = (await api('/v1/invoices/INV-acct_scale-0002')).json;
    expect(await page.getByTestId('invoice-total').textContent()).toBe(formatCents(invoice.totalCents));
    expect(await page.getByTestId('invoice-lines').locator('tbody tr').count()).toBe(invoice.lines.length);
    await shot('invoice-INV-acct_scale-0002');
  });

  it("downloads the account's entries as CSV with the key (a blob, not a link)", async () => {
    await page.goto(`${ledger.base}/dashboard#/accounts/acct_scale`);
    const button = page.getByRole('button', { name: 'Entries (CSV)' });
    await button.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    const csv = readFileSync((await download.path())!, 'utf8').split('\n');
    expect(csv[0]).toMatch(/^position,seq,account_id,wallet,kind,at,credits,/);
    expect(csv.filter((l) => l.includes(',acct_scale,')).length).toBeGreaterThan(40);
    expect(download.suggestedFilename()).toMatch(/^entries_.*\.csv$/);
  });

  it('keeps a key bound to one account on that account: another account is not found', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').fill(keys.scale);
    await page.getByLabel(/Account id/).fill('acct_scale');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: /acct_scale/ }).waitFor();
    await expect(page.getByRole('navigation', { name: 'Views' }).textContent()).resolves.not.toContain('Overview');
    await page.getByTestId('balance-available-api').waitFor();
    expect((await api('/v1/accounts/acct_pro/balances', keys.scale)).status).toBe(404);
    await page.goto(`${ledger.base}/dashboard#/accounts/acct_pro`);
    await page.getByTestId('account-missing').waitFor();
    expect(await page.getByTestId('balance-available-api').count()).toBe(0);
    await shot('account-key-other-account');
  });
});
