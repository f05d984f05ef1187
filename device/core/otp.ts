import { algorithmOf, createMac, type Algorithm } from './hmac.js';
import { checkDigits, checkPeriod, checkT0, format, hotpWith, stepOf, toKey } from './hotp.js';
import { verifyWith, type Match, type Window } from './verify.js';

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
    verify: (code, o) => verifyWith(mac, code, { time: o.time, window: o.window, lastStep: o.lastStep, period, t0, digits }),
  };
}

/** One-shot verify; a verifier that checks many codes should keep a createOtp instead. */
export function verify(secret: Uint8Array | string, code: string,
  o: { time: number; window?: Window; lastStep?: number; algorithm?: Algorithm; digits?: number; period?: number; t0?: number }): Match | null {
  return createOtp({ secret, algorithm: o.algorithm, digits: o.digits, period: o.period, t0: o.t0 }).verify(code, o);
}
