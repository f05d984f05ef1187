// Virtual MFA devices: a 40-byte seed (64 base32 characters, as AWS issues), the QR PNG of the
// URI form AWS's codes carry, and the RFC 6238 checks (SHA-1, 30 s, 6 digits) with core.
//
// The PNG: qrcode computes the symbol (version, error correction, mask), and its modules are written
// straight into an 8-bit greyscale PNG with no row filter. qrcode's own PNG path renders RGBA image
// data and has pngjs repack it, three times the work per device for the same picture (bench/provision.ts,
// batch throughput).
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { base32Encode, createOtp, type Otp } from '../../device/core/index.js';
import type { MfaRec } from './state.js';

export const PERIOD = 30;
/**
 * ResyncMFADevice looks this many steps either side of now: 10 minutes, a strict server's window
 * (AWS publishes none). OTP servers commonly allow a resync far wider than a login, so an
 * endpoint may be started with up to a day's worth (`--resync-window`) to take a token hours off.
 */
export const RESYNC_STEPS = 20;
export const MAX_RESYNC_STEPS = 2880;

export const newSeed = () => base32Encode(randomBytes(40));

/** What real AWS QR codes decode to, not the AWS documentation's issuer-less template. */
export const otpauthUri = (name: string, account: string, seed: string) =>
  `otpauth://totp/Amazon%20Web%20Services:${encodeURIComponent(name)}@${account}?secret=${seed}` +
  `&issuer=Amazon%20Web%20Services`;

/** QR pixels per module: a 171-pixel square for AWS's URI, read as easily as a bigger one. */
export const QR_SCALE = 3;

// ---- The QR PNG

const CRC = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** CRC-32 as PNG chunks carry it (ISO 3309, PNG spec §5.5). */
function crc32(b: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < b.length; i++) c = CRC[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A PNG of a QR symbol: `size`×`size` modules (1 = dark, row-major), `scale` pixels each, inside a
 * quiet zone of `margin` modules (ISO/IEC 18004 asks for 4).
 */
export function symbolPng(modules: Uint8Array, size: number, scale: number, margin = 4): Buffer {
  const px = (size + 2 * margin) * scale;
  const stride = px + 1; // filter byte 0 (None), then one grey byte per pixel
  const raw = Buffer.alloc(stride * px, 255);
  for (let y = 0; y < px; y++) {
    raw[y * stride] = 0;
    const my = Math.floor(y / scale) - margin;
    if (my < 0 || my >= size) continue;
    for (let mx = 0; mx < size; mx++) {
      if (modules[my * size + mx]) raw.fill(0, y * stride + 1 + (mx + margin) * scale, y * stride + 1 +
        (mx + margin + 1) * scale);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(px, 0);
  ihdr.writeUInt32BE(px, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale; compression, filter and interlace methods 0
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(
    0))]);
}

// The qrcode package loads only when a device is created, and is resolved once: every import()
// of a bare name walks node_modules again.
const loadQr = async () => (await import('qrcode')).default;
let qrcode: ReturnType<typeof loadQr> | undefined;

export async function qrPng(text: string): Promise<Buffer> {
  const QR = await (qrcode ??= loadQr());
  const { modules } = QR.create(text, { errorCorrectionLevel: 'M' });
  return symbolPng(modules.data, modules.size, QR_SCALE);
}

// ---- The RFC 6238 checks

const otps = new WeakMap<MfaRec, Otp>();
const otpOf = (d: MfaRec) => {
  let o = otps.get(d);
  if (!o) otps.set(d, (o = createOtp({ secret: d.seed })));
  return o;
};

const at = (d: MfaRec, code: string, step: number) =>
  otpOf(d).verify(code, { time: step * PERIOD, window: 0 }) !== null;
const fresh = (d: MfaRec, step: number) => !d.used.includes(step);

function consume(d: MfaRec, steps: number[], now: number, window: number): void {
  // Only steps a later check (a resync's reaches furthest) could still reach are worth remembering.
  const oldest = Math.floor(now / PERIOD) + Math.min(0, d.offset) - window - 2;
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
export function checkEnable(d: MfaRec, c1: string, c2: string, now: number, window = RESYNC_STEPS): boolean {
  const T = Math.floor(now / PERIOD);
  const s = pair(d, c1, c2, [T - 1, T]);
  if (s === null) return false;
  consume(d, [s, s + 1], now, window);
  return true;
}

/** ResyncMFADevice: search ±window steps, nearest first; the device's offset is where code2 fell. */
export function checkResync(d: MfaRec, c1: string, c2: string, now: number, window = RESYNC_STEPS): boolean {
  const T = Math.floor(now / PERIOD);
  const starts: number[] = [];
  for (let k = 0; k <= window; k++) starts.push(T - 1 - k, T - 1 + k);
  const s = pair(d, c1, c2, [...new Set(starts)].filter((x) => x >= T - window && x + 1 <= T + window));
  if (s === null) return false;
  d.offset = s + 1 - T;
  consume(d, [s, s + 1], now, window);
  return true;
}

/** One code for STS: the device's step ±1, after its learnt offset; a spent step never matches again. */
export function checkCode(d: MfaRec, code: string, now: number, window = RESYNC_STEPS): boolean {
  const T = Math.floor(now / PERIOD) + d.offset;
  for (const s of [T, T - 1, T + 1]) {
    if (fresh(d, s) && at(d, code, s)) { consume(d, [s], now, window); return true; }
  }
  return false;
}
