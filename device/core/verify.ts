import { timingSafeEqual } from 'node:crypto';
import { type Mac } from './hmac.js';
import { hotpWith, timeStep } from './hotp.js';

/** Steps before and after now; `n` means `[n, n]`. RFC 6238 §5.2 recommends 1. */
export type Window = number | readonly [before: number, after: number];

export interface VerifyOptions {
  time: number;
  window?: Window;
  /** The last step already accepted: it and every step before it never match (RFC 6238 §5.2). */
  lastStep?: number;
  period?: number;
  t0?: number;
  digits?: number;
}
export interface Match { step: number; delta: number }

const enc = new TextEncoder();

export function verifyWith(mac: Mac, code: string, o: VerifyOptions): Match | null {
  const digits = o.digits ?? 6;
  if (typeof code !== 'string' || code.length !== digits || !/^[0-9]+$/.test(code)) return null;
  const [before, after] = typeof o.window === 'number' ? [o.window, o.window] : (o.window ?? [1, 1]);
  const now = timeStep(o.time, o.period ?? 30, o.t0 ?? 0);
  const want = enc.encode(code);
  let found: Match | null = null;
  // Scan every candidate so the time taken does not depend on where (or whether) it matched.
  for (let d = -Math.max(0, before); d <= Math.max(0, after); d++) {
    const step = now + d;
    if (step < 0) continue;
    const ok = timingSafeEqual(enc.encode(hotpWith(mac, step, digits)), want);
    if (ok && found === null && (o.lastStep === undefined || step > o.lastStep)) found = { step, delta: d };
  }
  return found;
}
