// Credits are integers of one millionth of a credit; money is integer cents. Both are bigint,
// so no amount ever passes through a floating-point number. The only text conversions live here.

/** An amount of credits in millionths (1 credit = 1_000_000n). */
export type MicroCredits = bigint;
/** An amount of money in cents. */
export type Cents = bigint;

export const MICROS_PER_CREDIT = 1_000_000n;
const DECIMAL = /^(-)?(\d+)(?:\.(\d{1,6}))?$/;

/** "12.5" -> 12_500_000n. More than six decimals is an error: the ledger never rounds input. */
export function parseCredits(text: string): MicroCredits {
  const m = DECIMAL.exec(text.trim());
  if (!m) throw new RangeError(`not a credit amount with at most 6 decimals: "${text}"`);
  const [, minus, whole, frac = ''] = m;
  const micros = BigInt(whole) * MICROS_PER_CREDIT + BigInt(frac.padEnd(6, '0'));
  return minus ? -micros : micros;
}

/** 12_500_000n -> "12.5", 103_334n -> "0.103334". */
export function formatCredits(micros: MicroCredits): string {
  const sign = micros < 0n ? '-' : '';
  const abs = micros < 0n ? -micros : micros;
  const whole = abs / MICROS_PER_CREDIT;
  const frac = (abs % MICROS_PER_CREDIT).toString().padStart(6, '0').replace(/0+$/, '');
  return `${sign}${whole}${frac ? '.' + frac : ''}`;
}

/** Integer division rounding up (for non-negative numerator, positive divisor). */
export function ceilDiv(n: bigint, d: bigint): bigint {
  return (n + d - 1n) / d;
}

/** Integer division rounding half up (for non-negative numerator, positive divisor). */
export function roundHalfUpDiv(n: bigint, d: bigint): bigint {
  return (2n * n + d) / (2n * d);
}

/** Cents for `micros` credits at `centsPerCredit`, rounded half up once. */
export function centsFor(micros: MicroCredits, centsPerCredit: Cents): Cents {
  return roundHalfUpDiv(micros * centsPerCredit, MICROS_PER_CREDIT);
}

export const sumCredits = (xs: Iterable<MicroCredits>): MicroCredits => {
  let total = 0n;
  for (const x of xs) total += x;
  return total;
};

export const minCredits = (a: MicroCredits, b: MicroCredits): MicroCredits => (a < b ? a : b);
