// The rate card applied to one usage record: a pure lookup, rounded once, upward.
import { Catalog, UsageKind } from '../catalog/catalog';
import { ceilDiv, MicroCredits, parseCredits } from '../credits/credits';

export interface Priced {
  kind: UsageKind;
  catalogVersion: string;
  /** Seconds billed (after the minimum) or started 30-second blocks. */
  units: number;
  unit: 'block30' | 'second';
  credits: MicroCredits;
}

/** Started 30-second blocks, counted from whole seconds: floor(floor(ms/1000)/30) + 1. */
export const startedBlocks = (durationMs: number): number => Math.floor(Math.floor(durationMs / 1000) / 30) + 1;

/** Whole seconds billed (partial seconds are not billed), at least the rate's minimum. */
export const billedSeconds = (durationMs: number, minimumSeconds: number): number =>
  Math.max(Math.floor(durationMs / 1000), minimumSeconds);

export function price(kind: UsageKind, durationMs: number, catalog: Catalog): Priced {
  if (!Number.isSafeInteger(durationMs) || durationMs <= 0)
    throw new RangeError(`durationMs must be a positive integer, got ${durationMs}`);
  const rate = catalog.rates[kind];
  const units = rate.unit === 'block30' ? startedBlocks(durationMs) : billedSeconds(durationMs, rate.minimumSeconds);
  const credits = ceilDiv(BigInt(units) * parseCredits(rate.credits), BigInt(rate.every));
  return { kind, catalogVersion: catalog.version, units, unit: rate.unit, credits };
}
