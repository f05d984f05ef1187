// SHA-256 block function, FIPS 180-4 §6.2.2, and its HOTP path.
import { K256 } from './sha2-constants.js';

const W = new Int32Array(64), T = new Int32Array(8);

export function sha256Block(h: Int32Array, m: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++, off += 4) W[i] = (m[off]! << 24) | (m[off + 1]! << 16) | (m[off + 2]! << 8) | m[off + 3]!;
  rounds(h);
}

/**
 * HMAC-SHA-256 of counter hi‖lo from `s` = inner (words 0–7) and outer (8–15) pad
 * states: the final blocks are written straight into the schedule, no bytes between.
 * Returns RFC 4226 §5.3 Snum.
 */
export function sha256Hotp(s: Int32Array, hi: number, lo: number): number {
  for (let i = 0; i < 8; i++) T[i] = s[i]!;
  W.fill(0, 3, 15);
  W[0] = hi; W[1] = lo; W[2] = 0x80000000 | 0; W[15] = (64 + 8) * 8;
  rounds(T);
  for (let i = 0; i < 8; i++) { W[i] = T[i]!; T[i] = s[8 + i]!; }
  W.fill(0, 9, 15);
  W[8] = 0x80000000 | 0; W[15] = (64 + 32) * 8;
  rounds(T);
  const off = T[7]! & 15, w = off >> 2, sh = (off & 3) << 3;
  return ((T[w]! << sh) | ((T[w + 1]! >>> 1) >>> (31 - sh))) & 0x7fffffff;
}

function rounds(h: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = W[i - 15]!, y = W[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W[i] = (s1 + W[i - 7]! + s0 + W[i - 16]!) | 0;
  }
  let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, k = h[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (k + S1 + (g ^ (e & (f ^ g))) + K256[i]! + W[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) | (c & (a | b)))) | 0;
    k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  h[0] = (h[0]! + a) | 0; h[1] = (h[1]! + b) | 0; h[2] = (h[2]! + c) | 0; h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0; h[5] = (h[5]! + f) | 0; h[6] = (h[6]! + g) | 0; h[7] = (h[7]! + k) | 0;
}
