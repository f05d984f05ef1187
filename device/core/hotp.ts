import { OtpError } from './errors.js';
import { base32Decode } from './base32.js';
import { createMac, type Algorithm, type Mac } from './hmac.js';

export interface HotpOptions { digits?: number; algorithm?: Algorithm }
export interface TotpOptions extends HotpOptions { period?: number; t0?: number }

/** RFC 6238 §4.2 wants T past 2038; 2^53 is where a JS number stops being exact. */
export const MAX_COUNTER = 2 ** 53;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];

export function checkDigits(d: number): number {
  if (!Number.isInteger(d) || d < 6 || d > 10) throw new OtpError('E_DIGITS', `digits must be 6 to 10, got ${d}`);
  return d;
}
export function checkPeriod(p: number): number {
  if (!Number.isInteger(p) || p < 1) {
    throw new OtpError('E_PERIOD', `period must be a positive whole number of seconds, got ${p}`);
  }
  return p;
}
export function checkT0(t0: number): number {
  if (!Number.isInteger(t0) || t0 < 0) {
    throw new OtpError('E_T0', `t0 must be a whole number of seconds ≥ 0, got ${t0}`);
  }
  return t0;
}
export function checkCounter(c: number): number {
  if (!(Number.isInteger(c) && c >= 0 && c <= MAX_COUNTER)) {
    throw new OtpError('E_COUNTER', `counter must be a whole number from 0 to 2^53, got ${c}`);
  }
  return c;
}
export function toKey(secret: Uint8Array | string): Uint8Array {
  const k = typeof secret === 'string' ? base32Decode(secret) : secret;
  if (!(k instanceof Uint8Array)) throw new OtpError('E_SECRET', 'secret must be bytes or base32 text');
  if (k.length < 1) throw new OtpError('E_SECRET', 'secret is empty (it must be at least 1 byte)');
  return k;
}

// Zero-padded digit groups: a 6- or 8-digit code is two or three table strings joined,
// with no number-to-string conversion or padStart (that halves the formatting cost).
const D3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const D2 = D3.slice(0, 100).map((s) => s.slice(1));

/** Snum (31 bits) to the zero-padded code: integers until this one string. */
export function format(snum: number, digits: number): string {
  if (digits === 6) {
    const v = snum % 1e6, h = (v / 1000) | 0;
    return D3[h]! + D3[v - h * 1000]!;
  }
  if (digits === 8) {
    const v = snum % 1e8, h = (v / 1e6) | 0, m = v - h * 1e6, k = (m / 1000) | 0;
    return D2[h]! + D3[k]! + D3[m - k * 1000]!;
  }
  // 31 bits never exceed 10 digits, so for 10 the modulus is the identity.
  return String(digits >= 10 ? snum : snum % POW10[digits]!).padStart(digits, '0');
}

/** RFC 4226 §5.3 dynamic truncation of a digest to `digits` decimal digits. */
export function truncate(d: Uint8Array, digits: number): string {
  const o = d[d.length - 1]! & 15;
  return format(((d[o]! & 0x7f) << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!, digits);
}

export function counterBytes(c: number, out = new Uint8Array(8)): Uint8Array {
  const hi = Math.floor(c / 0x100000000), lo = c >>> 0;
  out[0] = hi >>> 24; out[1] = hi >>> 16; out[2] = hi >>> 8; out[3] = hi;
  out[4] = lo >>> 24; out[5] = lo >>> 16; out[6] = lo >>> 8; out[7] = lo;
  return out;
}

export function hotpWith(mac: Mac, counter: number, digits: number): string {
  return format(mac.truncated(checkCounter(counter)), digits);
}

/** RFC 6238 §4.2: T = floor((time - T0) / X); time may be far beyond 2038. */
export function timeStep(time: number, period = 30, t0 = 0): number {
  checkPeriod(period); checkT0(t0);
  return stepOf(time, period, t0);
}

/** timeStep for a period and t0 already checked. */
export function stepOf(time: number, period: number, t0: number): number {
  if (typeof time !== 'number' || !Number.isFinite(time)) {
    throw new OtpError('E_TIME', `time must be a number of Unix seconds, got ${time}`);
  }
  const t = Math.floor((time - t0) / period);
  if (t < 0) throw new OtpError('E_TIME', `time ${time} is before t0 ${t0}`);
  if (t > MAX_COUNTER) throw new OtpError('E_TIME', `time ${time} is past the last step 2^53`);
  return t;
}

export function hotp(secret: Uint8Array | string, counter: number, o: HotpOptions = {}): string {
  const digits = checkDigits(o.digits ?? 6);
  return hotpWith(createMac(o.algorithm ?? 'SHA1', toKey(secret)), counter, digits);
}

export function totp(secret: Uint8Array | string, time: number, o: TotpOptions = {}): string {
  return hotp(secret, timeStep(time, o.period ?? 30, o.t0 ?? 0), o);
}
