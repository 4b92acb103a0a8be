// One invoice (GET /v1/invoices/{number}): its period, lines and total, with a check that the
// lines add up to it.
import { getJson, segment } from '../api';
import { Money, Section, Show, Time, useLoad } from '../components';
import { href } from '../route';
import { Invoice } from '../shapes';
import { InvoiceLines } from './account';

export function InvoiceView({ number }: { number: string }) {
  const invoice = useLoad(() => getJson<Invoice>(`/v1/invoices/${segment(number)}`), [number]);
  return (
    <>
      <h1 tabIndex={-1}>Invoice {number}</h1>
      <Show loaded={invoice}>
        {(i) => {
          const sum = i.lines.reduce((s, l) => s + BigInt(l.amountCents), 0n);
          return (
            <Section id="invoice" title={`${i.kind === 'plan' ? 'Plan' : 'Overage'} invoice of ${i.accountId}`}>
              <dl class="facts">
                <dt>Account</dt>
                <dd>
                  <a href={href.account(i.accountId)}>{i.accountId}</a>
                </dd>
                <dt>Kind</dt>
                <dd>{i.kind}</dd>
                {i.wallet && (
                  <>
                    <dt>Wallet</dt>
                    <dd>{i.wallet}</dd>
                  </>
                )}
                {i.plan && (
                  <>
                    <dt>Plan</dt>
                    <dd>{i.plan}</dd>
                  </>
                )}
                <dt>Period</dt>
                <dd>
                  {i.period.id && `${i.period.id}: `}
                  <Time iso={i.period.startsAt} /> – <Time iso={i.period.endsAt} />
                </dd>
                {i.issuedAt && (
                  <>
                    <dt>Issued</dt>
                    <dd>
                      <Time iso={i.issuedAt} />
                    </dd>
                  </>
                )}
                {i.supplements && (
                  <>
                    <dt>Supplements</dt>
                    <dd>
                      <a href={href.invoice(i.supplements)}>{i.supplements}</a>
                    </dd>
                  </>
                )}
                <dt>Catalog version</dt>
                <dd>{i.catalogVersion}</dd>
                <dt>Total</dt>
                <dd>
                  <Money cents={i.totalCents} testid="invoice-total" />
                  {sum === BigInt(i.totalCents) ? (
                    ' (the sum of its lines)'
                  ) : (
                    <span class="badge warn"> the lines add up to {String(sum)} cents</span>
                  )}
                </dd>
              </dl>
              <InvoiceLines invoice={i} />
            </Section>
          );
        }}
      </Show>
    </>
  );
}
