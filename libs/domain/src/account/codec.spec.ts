import { decodeAccountEvent, encodeAccountEventData } from './codec';
import { at, chargeUsage, openAccount, recorded } from './spec-helpers';

describe('the event codec', () => {
  it('gives back every recorded event exactly, amounts as bigint, through JSON text', () => {
    const history = recorded(
      openAccount('acct_c', '2026-01-01T00:00:00Z'),
      { type: 'StartPlan', plan: 'live_avatar', allowOverage: true, now: at('2026-01-01T00:00:00Z') },
      chargeUsage('streaming.live_avatar_full', 40_000_000, '2026-01-02T00:00:00Z'),
      { type: 'Advance', now: at('2026-03-01T00:00:00Z') },
    );
    for (const e of history) {
      const stored = JSON.parse(JSON.stringify(encodeAccountEventData(e)));
      expect(JSON.stringify(stored)).not.toMatch(/"(credits|totalCents)":\d/); // amounts are strings, never JSON numbers
      expect(decodeAccountEvent(e.type, stored)).toEqual(e);
    }
  });
});
