import { OtpError } from './errors.js';
import { base32Decode } from './base32.js';
import { createMac, type Algorithm, type Mac } from './hmac.js';

export interface HotpOptions { digits?: number; algorithm?: Algorithm }
export interface TotpOptions extends HotpOptions { period?: number; t0?: number }

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];

export function checkDigits(d: number): number {
  if (!Number.isInteger(d) || d < 6 || d > 10) throw new OtpError('E_DIGITS', `digits must be 6 to 10, got ${d}`);
  return d;
}
export function checkPeriod(p: number): number {
  if (!Number.isInteger(p) || p < 1) throw new OtpError('E_PERIOD', `period must be a positive whole number of seconds, got ${p}`);
  return p;
}
export function checkCounter(c: number): number {
  if (!Number.isSafeInteger(c) || c < 0) throw new OtpError('E_COUNTER', `counter must be a whole number from 0 to 2^53-1, got ${c}`);
  return c;
}
export function toKey(secret: Uint8Array | string): Uint8Array {
  const k = typeof secret === 'string' ? base32Decode(secret) : secret;
  if (k.length < 1) throw new OtpError('E_SECRET', 'secret is empty (it must be at least 1 byte)');
  return k;
}

/** RFC 4226 §5.3 dynamic truncation of a digest to `digits` decimal digits. */
export function truncate(d: Uint8Array, digits: number): string {
  const o = d[d.length - 1]! & 15;
  const bin = ((d[o]! & 0x7f) << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!;
  // 31 bits never exceed 10 digits, so for 10 the modulus is the identity.
  return String(digits >= 10 ? bin : bin % POW10[digits]!).padStart(digits, '0');
}

export function counterBytes(c: number, out = new Uint8Array(8)): Uint8Array {
  const hi = Math.floor(c / 0x100000000), lo = c >>> 0;
  out[0] = hi >>> 24; out[1] = hi >>> 16; out[2] = hi >>> 8; out[3] = hi;
  out[4] = lo >>> 24; out[5] = lo >>> 16; out[6] = lo >>> 8; out[7] = lo;
  return out;
}

export function hotpWith(mac: Mac, counter: number, digits: number): string {
  return truncate(mac.digest(counterBytes(checkCounter(counter))), digits);
}

/** RFC 6238 §4.2: T = floor((time - T0) / X); time may be far beyond 2038. */
export function timeStep(time: number, period = 30, t0 = 0): number {
  if (!Number.isFinite(time)) throw new OtpError('E_TIME', `time must be a number of Unix seconds, got ${time}`);
  checkPeriod(period);
  if (!Number.isInteger(t0) || t0 < 0) throw new OtpError('E_T0', `t0 must be a whole number of seconds ≥ 0, got ${t0}`);
  const t = Math.floor((time - t0) / period);
  if (t < 0) throw new OtpError('E_TIME', `time ${time} is before t0 ${t0}`);
  return t;
}

export function hotp(secret: Uint8Array | string, counter: number, o: HotpOptions = {}): string {
  return hotpWith(createMac(o.algorithm ?? 'SHA1', toKey(secret)), counter, checkDigits(o.digits ?? 6));
}

export function totp(secret: Uint8Array | string, time: number, o: TotpOptions = {}): string {
  return hotp(secret, timeStep(time, o.period ?? 30, o.t0 ?? 0), o);
}
