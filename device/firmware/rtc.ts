// The RTC model: a crystal with a fixed error. Device time = value last set
// + host time elapsed since then × (1 + ppm/1e6), so a year at 20 ppm is ~10.5 min.
import { nodeCrypto } from '../../lib/builtin.js';
import { FirmwareError } from './errors.js';

export interface ClockState { setMs: number; hostMs: number }

/** Tuning-fork crystals are specified to ±20 ppm at 25 °C. */
export const RANDOM_PPM = 20;
/** Far outside any crystal; a larger value is a typo. */
export const MAX_PPM = 1000;

/** Device time in Unix ms (fractional) when the host clock reads hostMs. */
export function rtcMs(c: ClockState, driftPpm: number, hostMs: number): number {
  return c.setMs + (hostMs - c.hostMs) * (1 + driftPpm / 1e6);
}

/** A crystal-like drift, in thousandths of a ppm (GET INFO carries ppm × 1000). */
export function randomPpm(): number {
  return nodeCrypto().randomInt(-RANDOM_PPM * 1000, RANDOM_PPM * 1000 + 1) / 1000;
}

export function checkPpm(p: number | 'random' | undefined): number {
  if (p === undefined) return 0;
  if (p === 'random') return randomPpm();
  if (typeof p !== 'number' || !Number.isFinite(p) || Math.abs(p) > MAX_PPM) {
    throw new FirmwareError('E_DRIFT',
      `drift must be a number of ppm from -${MAX_PPM} to ${MAX_PPM}, or random, got ${String(p)}`);
  }
  return Math.round(p * 1000) / 1000;
}

/**
 * How far back SET TIME may go unforced: the RTC's resolution. Nitrokey's cmd_set_time compares
 * whole seconds, and a host reads its clock a moment before the device reads its own, so a sync
 * to "now" must not be refused for the milliseconds in between.
 */
export const SET_TIME_SLACK_MS = 1000;

/**
 * SET TIME: the clock never goes backwards (by more than SET_TIME_SLACK_MS) unless forced
 * (Nitrokey's cmd_set_time guard). Returns the new state, or null when the set is refused.
 */
export function setTime(
  c: ClockState, driftPpm: number, hostMs: number, toMs: number, force: boolean,
): ClockState | null {
  if (!force && toMs < rtcMs(c, driftPpm, hostMs) - SET_TIME_SLACK_MS) return null;
  return { setMs: toMs, hostMs };
}
