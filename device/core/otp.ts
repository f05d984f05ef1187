import { createMac, type Algorithm } from './hmac.js';
import { checkDigits, checkPeriod, hotpWith, timeStep, toKey } from './hotp.js';
import { verifyWith, type Match, type Window } from './verify.js';
import { OtpError } from './errors.js';

export interface OtpConfig {
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
  const algorithm = c.algorithm ?? 'SHA1', digits = checkDigits(c.digits ?? 6);
  const period = checkPeriod(c.period ?? 30), t0 = c.t0 ?? 0;
  if (!Number.isInteger(t0) || t0 < 0) throw new OtpError('E_T0', `t0 must be a whole number of seconds ≥ 0, got ${t0}`);
  const mac = createMac(algorithm, toKey(c.secret));
  return {
    algorithm, digits, period, t0,
    hotp: (counter) => hotpWith(mac, counter, digits),
    totp: (t) => hotpWith(mac, timeStep(t, period, t0), digits),
    step: (t) => timeStep(t, period, t0),
    verify: (code, o) => verifyWith(mac, code, { ...o, period, t0, digits }),
  };
}

export function verify(secret: Uint8Array | string, code: string,
  o: { time: number; window?: Window; lastStep?: number; algorithm?: Algorithm; digits?: number; period?: number; t0?: number }): Match | null {
  return createOtp({ secret, algorithm: o.algorithm, digits: o.digits, period: o.period, t0: o.t0 }).verify(code, o);
}
