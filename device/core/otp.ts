// The keyed OTP: createOtp runs the key schedule once for many codes, and verifyWith
// checks a code against a window of steps in constant time.
import { OtpError } from './errors.js';
import { algorithmOf, createMac, type Algorithm, type Mac } from './hmac.js';
import { MAX_COUNTER, checkDigits, checkPeriod, checkT0, format, hotpWith, stepOf, toKey } from './hotp.js';

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
/** `delta` is in steps: 0 = the step of `time`, -1 = the one before. */
export interface Match { step: number; delta: number }

const MOD = [0, 0, 0, 0, 0, 0, 1e6, 1e7, 1e8, 1e9, 2 ** 31];

/** A million steps is a year at 30 s; past that the window is a mistake, and scores overflow. */
const MAX_WINDOW = 1_000_000;

function side(n: unknown): number {
  if (!Number.isInteger(n) || (n as number) < 0 || (n as number) > MAX_WINDOW) {
    throw new OtpError('E_WINDOW', `window must be 0 to ${MAX_WINDOW} steps, or [before, after], got ${String(n)}`);
  }
  return n as number;
}

/** The code as a number, or -1 when it can never match (wrong length, not digits, ≥ 2^31). */
function codeValue(code: unknown, digits: number): number {
  if (typeof code !== 'string' || code.length !== digits) return -1;
  let v = 0;
  for (let i = 0; i < digits; i++) {
    const d = code.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v > 0x7fffffff ? -1 : v;
}

export function verifyWith(mac: Mac, code: string, o: VerifyOptions): Match | null {
  const digits = checkDigits(o.digits ?? 6), period = checkPeriod(o.period ?? 30), t0 = checkT0(o.t0 ?? 0);
  const w = o.window ?? 1;
  const before = side(typeof w === 'number' ? w : w?.[0]), after = side(typeof w === 'number' ? w : w?.[1]);
  const last = o.lastStep ?? -1;
  if (!Number.isSafeInteger(last) || last < -1) {
    throw new OtpError('E_COUNTER', `lastStep must be a whole step number, got ${last}`);
  }
  const now = stepOf(o.time, period, t0);
  const want = codeValue(code, digits);
  if (want < 0) return null;
  // Every candidate is computed and compared in full, whether or where one matched, and
  // the comparison is on whole integers, so the time taken says nothing about the code.
  // Among matches the nearest step wins (score 2|d|, +1 for after), then the earlier.
  const mod = MOD[digits]!, NONE = 0x40000000;
  let best = NONE;
  for (let d = -before; d <= after; d++) {
    const step = now + d;
    if (step < 0 || step > MAX_COUNTER || step <= last) continue; // public, not secret
    const diff = (mac.truncated(step) % mod) ^ want;
    const miss = (diff | -diff) >>> 31; // 0 only when diff is 0
    best = Math.min(best, ((d < 0 ? -2 * d : 2 * d + 1) | (miss * NONE)));
  }
  if (best === NONE) return null;
  const delta = best & 1 ? best >> 1 : -(best >> 1);
  return { step: now + delta, delta };
}

export interface OtpConfig {
  /** Raw key bytes, or base32 text (what issuers hand out). */
  secret: Uint8Array | string;
  algorithm?: Algorithm;
  digits?: number;
  period?: number;
  t0?: number;
}

export interface Otp {
  readonly algorithm: Algorithm;
  readonly digits: number;
  readonly period: number;
  readonly t0: number;
  hotp(counter: number): string;
  totp(timeSeconds: number): string;
  step(timeSeconds: number): number;
  verify(code: string, o: { time: number; window?: Window; lastStep?: number }): Match | null;
}

/**
 * The key schedule runs once here; every code after that reuses it.
 * @example createOtp({ secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' }).totp(59) // '287082'
 */
export function createOtp(c: OtpConfig): Otp {
  const algorithm = algorithmOf(c.algorithm ?? 'SHA1'), digits = checkDigits(c.digits ?? 6);
  const period = checkPeriod(c.period ?? 30), t0 = checkT0(c.t0 ?? 0);
  const mac = createMac(algorithm, toKey(c.secret));
  return {
    algorithm, digits, period, t0,
    hotp: (counter) => hotpWith(mac, counter, digits),
    totp: (t) => format(mac.truncated(stepOf(t, period, t0)), digits),
    step: (t) => stepOf(t, period, t0),
    verify: (code, o) =>
      verifyWith(mac, code, { time: o.time, window: o.window, lastStep: o.lastStep, period, t0, digits }),
  };
}

/** One-shot verify; a verifier that checks many codes should keep a createOtp instead. */
export function verify(
  secret: Uint8Array | string, code: string,
  o: {
    time: number; window?: Window; lastStep?: number;
    algorithm?: Algorithm; digits?: number; period?: number; t0?: number;
  },
): Match | null {
  return createOtp({ secret, algorithm: o.algorithm, digits: o.digits, period: o.period, t0: o.t0 }).verify(code, o);
}
