// SHA-512 block function, FIPS 180-4 §6.4.2, on 64-bit words held as (hi, lo) Int32
// pairs: state, schedule and constants interleave them, hi first, which is byte order.
import { K512 } from './sha2-constants.js';

const W = new Int32Array(160), T = new Int32Array(16);
const X = 0x100000000;

export function sha512Block(h: Int32Array, m: Uint8Array, off: number): void {
  for (let i = 0; i < 32; i++, off += 4) W[i] = (m[off]! << 24) | (m[off + 1]! << 16) | (m[off + 2]! << 8) | m[off + 3]!;
  rounds(h);
}

/**
 * HMAC-SHA-512 of counter hi‖lo from `s` = inner (words 0–15) and outer (16–31) pad
 * states, the final blocks written straight into the schedule. Returns RFC 4226 §5.3 Snum.
 */
export function sha512Hotp(s: Int32Array, hi: number, lo: number): number {
  for (let i = 0; i < 16; i++) T[i] = s[i]!;
  W.fill(0, 3, 31);
  W[0] = hi; W[1] = lo; W[2] = 0x80000000 | 0; W[31] = (128 + 8) * 8;
  rounds(T);
  for (let i = 0; i < 16; i++) { W[i] = T[i]!; T[i] = s[16 + i]!; }
  W.fill(0, 17, 31);
  W[16] = 0x80000000 | 0; W[31] = (128 + 64) * 8;
  rounds(T);
  const off = T[15]! & 15, w = off >> 2, sh = (off & 3) << 3;
  return ((T[w]! << sh) | ((T[w + 1]! >>> 1) >>> (31 - sh))) & 0x7fffffff;
}

function rounds(h: Int32Array): void {
  for (let i = 32; i < 160; i += 2) {
    let xh = W[i - 30]!, xl = W[i - 29]!; // σ0(W[t-15]) = rotr 1 ^ rotr 8 ^ shr 7
    const s0h = ((xh >>> 1) | (xl << 31)) ^ ((xh >>> 8) | (xl << 24)) ^ (xh >>> 7);
    const s0l = ((xl >>> 1) | (xh << 31)) ^ ((xl >>> 8) | (xh << 24)) ^ ((xl >>> 7) | (xh << 25));
    xh = W[i - 4]!; xl = W[i - 3]!; // σ1(W[t-2]) = rotr 19 ^ rotr 61 ^ shr 6
    const s1h = ((xh >>> 19) | (xl << 13)) ^ ((xl >>> 29) | (xh << 3)) ^ (xh >>> 6);
    const s1l = ((xl >>> 19) | (xh << 13)) ^ ((xh >>> 29) | (xl << 3)) ^ ((xl >>> 6) | (xh << 26));
    const l = (s1l >>> 0) + (W[i - 13]! >>> 0) + (s0l >>> 0) + (W[i - 31]! >>> 0);
    W[i] = (s1h + W[i - 14]! + s0h + W[i - 32]! + ((l / X) | 0)) | 0;
    W[i + 1] = l | 0;
  }
  let ah = h[0]!, al = h[1]!, bh = h[2]!, bl = h[3]!, ch = h[4]!, cl = h[5]!, dh = h[6]!, dl = h[7]!;
  let eh = h[8]!, el = h[9]!, fh = h[10]!, fl = h[11]!, gh = h[12]!, gl = h[13]!, hh = h[14]!, hl = h[15]!;
  for (let i = 0; i < 160; i += 2) {
    // Σ1(e) = rotr 14 ^ rotr 18 ^ rotr 41
    const S1h = ((eh >>> 14) | (el << 18)) ^ ((eh >>> 18) | (el << 14)) ^ ((el >>> 9) | (eh << 23));
    const S1l = ((el >>> 14) | (eh << 18)) ^ ((el >>> 18) | (eh << 14)) ^ ((eh >>> 9) | (el << 23));
    const t1l = (hl >>> 0) + (S1l >>> 0) + ((gl ^ (el & (fl ^ gl))) >>> 0) + (K512[i + 1]! >>> 0) + (W[i + 1]! >>> 0);
    const t1h = (hh + S1h + (gh ^ (eh & (fh ^ gh))) + K512[i]! + W[i]! + ((t1l / X) | 0)) | 0;
    // Σ0(a) = rotr 28 ^ rotr 34 ^ rotr 39
    const S0h = ((ah >>> 28) | (al << 4)) ^ ((al >>> 2) | (ah << 30)) ^ ((al >>> 7) | (ah << 25));
    const S0l = ((al >>> 28) | (ah << 4)) ^ ((ah >>> 2) | (al << 30)) ^ ((ah >>> 7) | (al << 25));
    const t2l = (S0l >>> 0) + (((al & bl) | (cl & (al | bl))) >>> 0);
    const t2h = (S0h + ((ah & bh) | (ch & (ah | bh))) + ((t2l / X) | 0)) | 0;
    hh = gh; hl = gl; gh = fh; gl = fl; fh = eh; fl = el;
    const e = (dl >>> 0) + (t1l >>> 0);
    eh = (dh + t1h + ((e / X) | 0)) | 0; el = e | 0;
    dh = ch; dl = cl; ch = bh; cl = bl; bh = ah; bl = al;
    const a = (t1l >>> 0) + (t2l >>> 0);
    ah = (t1h + t2h + ((a / X) | 0)) | 0; al = a | 0;
  }
  add(h, 0, ah, al); add(h, 2, bh, bl); add(h, 4, ch, cl); add(h, 6, dh, dl);
  add(h, 8, eh, el); add(h, 10, fh, fl); add(h, 12, gh, gl); add(h, 14, hh, hl);
}

function add(h: Int32Array, i: number, xh: number, xl: number): void {
  const l = (h[i + 1]! >>> 0) + (xl >>> 0);
  h[i] = (h[i]! + xh + ((l / X) | 0)) | 0;
  h[i + 1] = l | 0;
}
