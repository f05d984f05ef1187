// Virtual MFA devices: a 40-byte seed (64 base32 characters, as AWS issues), the QR PNG of the
// URI form AWS's codes carry, and the RFC 6238 checks (SHA-1, 30 s, 6 digits) with core.
import { randomBytes } from 'node:crypto';
import { base32Encode, createOtp, type Otp } from '../../device/core/index.js';
import { symbolPng } from './qr-png.js';
import type { MfaRec } from './state.js';

export const PERIOD = 30;
/** ResyncMFADevice looks this many steps either side of now. */
export const RESYNC_STEPS = 20;

export const newSeed = () => base32Encode(randomBytes(40));

/** What real AWS QR codes decode to (aws-iam-mfa.md §1), not the doc's issuer-less template. */
export const otpauthUri = (name: string, account: string, seed: string) =>
  `otpauth://totp/Amazon%20Web%20Services:${encodeURIComponent(name)}@${account}?secret=${seed}&issuer=Amazon%20Web%20Services`;

/** QR pixels per module: a 171-pixel square for AWS's URI, read as easily as a bigger one. */
export const QR_SCALE = 3;

/** The qrcode package loads only when a device is created. */
export async function qrPng(text: string): Promise<Buffer> {
  const { default: QR } = await import('qrcode');
  const { modules } = QR.create(text, { errorCorrectionLevel: 'M' });
  return symbolPng(modules.data, modules.size, QR_SCALE);
}

const otps = new WeakMap<MfaRec, Otp>();
const otpOf = (d: MfaRec) => {
  let o = otps.get(d);
  if (!o) otps.set(d, (o = createOtp({ secret: d.seed })));
  return o;
};

const at = (d: MfaRec, code: string, step: number) => otpOf(d).verify(code, { time: step * PERIOD, window: 0 }) !== null;
const fresh = (d: MfaRec, step: number) => !d.used.includes(step);

function consume(d: MfaRec, steps: number[], now: number): void {
  // Only steps a later check could still reach are worth remembering.
  const oldest = Math.floor(now / PERIOD) + d.offset - RESYNC_STEPS - 2;
  d.used = [...d.used, ...steps].filter((s) => s >= Math.min(oldest, ...steps)).sort((a, b) => a - b);
}

/** Finds s in `starts` with code1 at s and code2 at s+1, both unused. */
function pair(d: MfaRec, c1: string, c2: string, starts: number[]): number | null {
  for (const s of starts) if (fresh(d, s) && fresh(d, s + 1) && at(d, c1, s) && at(d, c2, s + 1)) return s;
  return null;
}

/**
 * EnableMFADevice: two consecutive codes at (T-1, T) (LocalStack's AWS-validated test) or
 * (T, T+1) (a client that waits for the next step). On success the two steps are spent.
 */
export function checkEnable(d: MfaRec, c1: string, c2: string, now: number): boolean {
  const T = Math.floor(now / PERIOD);
  const s = pair(d, c1, c2, [T - 1, T]);
  if (s === null) return false;
  consume(d, [s, s + 1], now);
  return true;
}

/** ResyncMFADevice: search ±20 steps, nearest first; the device's offset is where code2 fell. */
export function checkResync(d: MfaRec, c1: string, c2: string, now: number): boolean {
  const T = Math.floor(now / PERIOD);
  const starts: number[] = [];
  for (let k = 0; k <= RESYNC_STEPS; k++) starts.push(T - 1 - k, T - 1 + k);
  const s = pair(d, c1, c2, [...new Set(starts)].filter((x) => x >= T - RESYNC_STEPS && x + 1 <= T + RESYNC_STEPS));
  if (s === null) return false;
  d.offset = s + 1 - T;
  consume(d, [s, s + 1], now);
  return true;
}

/** One code for STS: the device's step ±1, after its learnt offset; a spent step never matches again. */
export function checkCode(d: MfaRec, code: string, now: number): boolean {
  const T = Math.floor(now / PERIOD) + d.offset;
  for (const s of [T, T - 1, T + 1]) {
    if (fresh(d, s) && at(d, code, s)) { consume(d, [s], now); return true; }
  }
  return false;
}
