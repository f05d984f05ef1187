// The SHA family's block functions (FIPS 180-4 §6.1.2, §6.2.2, §6.4.2) for messages of any
// length, and SHA-256/512 HOTP paths that write an HMAC's final blocks straight into the schedule;
// HOTP-SHA-1's fixed-shape blocks take the unrolled path in sha1-hotp.ts instead.
// SHA-512's 64-bit words are held as (hi, lo) Int32 pairs: state, schedule and constants
// interleave them, hi first, which is byte order.

// SHA-1

export const SHA1_IV = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0);

const W1 = new Int32Array(80);

export function sha1Block(h: Int32Array, m: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++, off += 4) {
    W1[i] = (m[off]! << 24) | (m[off + 1]! << 16) | (m[off + 2]! << 8) | m[off + 3]!;
  }
  for (let i = 16; i < 80; i++) {
    const x = W1[i - 3]! ^ W1[i - 8]! ^ W1[i - 14]! ^ W1[i - 16]!;
    W1[i] = (x << 1) | (x >>> 31);
  }
  let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!;
  for (let i = 0; i < 80; i++) {
    const f = i < 20 ? (d ^ (b & (c ^ d))) + 0x5a827999
      : i < 40 ? (b ^ c ^ d) + 0x6ed9eba1
      : i < 60 ? ((b & c) | (d & (b | c))) + 0x8f1bbcdc
      : (b ^ c ^ d) + 0xca62c1d6;
    const t = (((a << 5) | (a >>> 27)) + f + e + W1[i]!) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
  }
  h[0] = (h[0]! + a) | 0; h[1] = (h[1]! + b) | 0; h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0; h[4] = (h[4]! + e) | 0;
}

// FIPS 180-4 §4.2.3 and §5.3.5: the SHA-512 round constants and initial hash value, as
// (hi, lo) 32-bit halves. SHA-256 (§4.2.2, §5.3.3) uses the hi half of the first 64 of each.
// They are the fraction bits of the cube and square roots of the first primes; a test
// (test/device/core/sha.test.ts) derives them again from the primes, and the
// FIPS 180 and RFC 4231 vectors check them end to end. Typed, not derived at load, because
// every boot's self-test needs them and BigInt roots cost ~2 ms of start-up.

/** SHA-512 K as hi, lo pairs (160 words); SHA-256 K is every hi of the first 64. */
export const K512 = Int32Array.of(
  0x428a2f98, 0xd728ae22, 0x71374491, 0x23ef65cd, 0xb5c0fbcf, 0xec4d3b2f,
  0xe9b5dba5, 0x8189dbbc, 0x3956c25b, 0xf348b538, 0x59f111f1, 0xb605d019,
  0x923f82a4, 0xaf194f9b, 0xab1c5ed5, 0xda6d8118, 0xd807aa98, 0xa3030242,
  0x12835b01, 0x45706fbe, 0x243185be, 0x4ee4b28c, 0x550c7dc3, 0xd5ffb4e2,
  0x72be5d74, 0xf27b896f, 0x80deb1fe, 0x3b1696b1, 0x9bdc06a7, 0x25c71235,
  0xc19bf174, 0xcf692694, 0xe49b69c1, 0x9ef14ad2, 0xefbe4786, 0x384f25e3,
  0x0fc19dc6, 0x8b8cd5b5, 0x240ca1cc, 0x77ac9c65, 0x2de92c6f, 0x592b0275,
  0x4a7484aa, 0x6ea6e483, 0x5cb0a9dc, 0xbd41fbd4, 0x76f988da, 0x831153b5,
  0x983e5152, 0xee66dfab, 0xa831c66d, 0x2db43210, 0xb00327c8, 0x98fb213f,
  0xbf597fc7, 0xbeef0ee4, 0xc6e00bf3, 0x3da88fc2, 0xd5a79147, 0x930aa725,
  0x06ca6351, 0xe003826f, 0x14292967, 0x0a0e6e70, 0x27b70a85, 0x46d22ffc,
  0x2e1b2138, 0x5c26c926, 0x4d2c6dfc, 0x5ac42aed, 0x53380d13, 0x9d95b3df,
  0x650a7354, 0x8baf63de, 0x766a0abb, 0x3c77b2a8, 0x81c2c92e, 0x47edaee6,
  0x92722c85, 0x1482353b, 0xa2bfe8a1, 0x4cf10364, 0xa81a664b, 0xbc423001,
  0xc24b8b70, 0xd0f89791, 0xc76c51a3, 0x0654be30, 0xd192e819, 0xd6ef5218,
  0xd6990624, 0x5565a910, 0xf40e3585, 0x5771202a, 0x106aa070, 0x32bbd1b8,
  0x19a4c116, 0xb8d2d0c8, 0x1e376c08, 0x5141ab53, 0x2748774c, 0xdf8eeb99,
  0x34b0bcb5, 0xe19b48a8, 0x391c0cb3, 0xc5c95a63, 0x4ed8aa4a, 0xe3418acb,
  0x5b9cca4f, 0x7763e373, 0x682e6ff3, 0xd6b2b8a3, 0x748f82ee, 0x5defb2fc,
  0x78a5636f, 0x43172f60, 0x84c87814, 0xa1f0ab72, 0x8cc70208, 0x1a6439ec,
  0x90befffa, 0x23631e28, 0xa4506ceb, 0xde82bde9, 0xbef9a3f7, 0xb2c67915,
  0xc67178f2, 0xe372532b, 0xca273ece, 0xea26619c, 0xd186b8c7, 0x21c0c207,
  0xeada7dd6, 0xcde0eb1e, 0xf57d4f7f, 0xee6ed178, 0x06f067aa, 0x72176fba,
  0x0a637dc5, 0xa2c898a6, 0x113f9804, 0xbef90dae, 0x1b710b35, 0x131c471b,
  0x28db77f5, 0x23047d84, 0x32caab7b, 0x40c72493, 0x3c9ebe0a, 0x15c9bebc,
  0x431d67c4, 0x9c100d4c, 0x4cc5d4be, 0xcb3e42b6, 0x597f299c, 0xfc657e2a,
  0x5fcb6fab, 0x3ad6faec, 0x6c44198c, 0x4a475817,
);
export const K256 = Int32Array.from({ length: 64 }, (_, i) => K512[2 * i]!);
export const IV512 = Int32Array.of(
  0x6a09e667, 0xf3bcc908, 0xbb67ae85, 0x84caa73b,
  0x3c6ef372, 0xfe94f82b, 0xa54ff53a, 0x5f1d36f1,
  0x510e527f, 0xade682d1, 0x9b05688c, 0x2b3e6c1f,
  0x1f83d9ab, 0xfb41bd6b, 0x5be0cd19, 0x137e2179,
);
export const IV256 = Int32Array.from({ length: 8 }, (_, i) => IV512[2 * i]!);

// SHA-256

const W256 = new Int32Array(64), T256 = new Int32Array(8);

export function sha256Block(h: Int32Array, m: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++, off += 4) {
    W256[i] = (m[off]! << 24) | (m[off + 1]! << 16) | (m[off + 2]! << 8) | m[off + 3]!;
  }
  rounds256(h);
}

/**
 * HMAC-SHA-256 of counter hi‖lo from `s` = inner (words 0–7) and outer (8–15) pad
 * states: the final blocks are written straight into the schedule, no bytes between.
 * Returns RFC 4226 §5.3 Snum.
 */
export function sha256Hotp(s: Int32Array, hi: number, lo: number): number {
  for (let i = 0; i < 8; i++) T256[i] = s[i]!;
  W256.fill(0, 3, 15);
  W256[0] = hi; W256[1] = lo; W256[2] = 0x80000000 | 0; W256[15] = (64 + 8) * 8;
  rounds256(T256);
  for (let i = 0; i < 8; i++) { W256[i] = T256[i]!; T256[i] = s[8 + i]!; }
  W256.fill(0, 9, 15);
  W256[8] = 0x80000000 | 0; W256[15] = (64 + 32) * 8;
  rounds256(T256);
  const off = T256[7]! & 15, w = off >> 2, sh = (off & 3) << 3;
  return ((T256[w]! << sh) | ((T256[w + 1]! >>> 1) >>> (31 - sh))) & 0x7fffffff;
}

function rounds256(h: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = W256[i - 15]!, y = W256[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    W256[i] = (s1 + W256[i - 7]! + s0 + W256[i - 16]!) | 0;
  }
  let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, k = h[7]!;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (k + S1 + (g ^ (e & (f ^ g))) + K256[i]! + W256[i]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) | (c & (a | b)))) | 0;
    k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  h[0] = (h[0]! + a) | 0; h[1] = (h[1]! + b) | 0; h[2] = (h[2]! + c) | 0; h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0; h[5] = (h[5]! + f) | 0; h[6] = (h[6]! + g) | 0; h[7] = (h[7]! + k) | 0;
}

// SHA-512

const W512 = new Int32Array(160), T512 = new Int32Array(16);
const X = 0x100000000;

export function sha512Block(h: Int32Array, m: Uint8Array, off: number): void {
  for (let i = 0; i < 32; i++, off += 4) {
    W512[i] = (m[off]! << 24) | (m[off + 1]! << 16) | (m[off + 2]! << 8) | m[off + 3]!;
  }
  rounds512(h);
}

/**
 * HMAC-SHA-512 of counter hi‖lo from `s` = inner (words 0–15) and outer (16–31) pad
 * states, the final blocks written straight into the schedule. Returns RFC 4226 §5.3 Snum.
 */
export function sha512Hotp(s: Int32Array, hi: number, lo: number): number {
  for (let i = 0; i < 16; i++) T512[i] = s[i]!;
  W512.fill(0, 3, 31);
  W512[0] = hi; W512[1] = lo; W512[2] = 0x80000000 | 0; W512[31] = (128 + 8) * 8;
  rounds512(T512);
  for (let i = 0; i < 16; i++) { W512[i] = T512[i]!; T512[i] = s[16 + i]!; }
  W512.fill(0, 17, 31);
  W512[16] = 0x80000000 | 0; W512[31] = (128 + 64) * 8;
  rounds512(T512);
  const off = T512[15]! & 15, w = off >> 2, sh = (off & 3) << 3;
  return ((T512[w]! << sh) | ((T512[w + 1]! >>> 1) >>> (31 - sh))) & 0x7fffffff;
}

function rounds512(h: Int32Array): void {
  for (let i = 32; i < 160; i += 2) {
    let xh = W512[i - 30]!, xl = W512[i - 29]!; // σ0(W[t-15]) = rotr 1 ^ rotr 8 ^ shr 7
    const s0h = ((xh >>> 1) | (xl << 31)) ^ ((xh >>> 8) | (xl << 24)) ^ (xh >>> 7);
    const s0l = ((xl >>> 1) | (xh << 31)) ^ ((xl >>> 8) | (xh << 24)) ^ ((xl >>> 7) | (xh << 25));
    xh = W512[i - 4]!; xl = W512[i - 3]!; // σ1(W[t-2]) = rotr 19 ^ rotr 61 ^ shr 6
    const s1h = ((xh >>> 19) | (xl << 13)) ^ ((xl >>> 29) | (xh << 3)) ^ (xh >>> 6);
    const s1l = ((xl >>> 19) | (xh << 13)) ^ ((xh >>> 29) | (xl << 3)) ^ ((xl >>> 6) | (xh << 26));
    const l = (s1l >>> 0) + (W512[i - 13]! >>> 0) + (s0l >>> 0) + (W512[i - 31]! >>> 0);
    W512[i] = (s1h + W512[i - 14]! + s0h + W512[i - 32]! + ((l / X) | 0)) | 0;
    W512[i + 1] = l | 0;
  }
  let ah = h[0]!, al = h[1]!, bh = h[2]!, bl = h[3]!, ch = h[4]!, cl = h[5]!, dh = h[6]!, dl = h[7]!;
  let eh = h[8]!, el = h[9]!, fh = h[10]!, fl = h[11]!, gh = h[12]!, gl = h[13]!, hh = h[14]!, hl = h[15]!;
  for (let i = 0; i < 160; i += 2) {
    // Σ1(e) = rotr 14 ^ rotr 18 ^ rotr 41
    const S1h = ((eh >>> 14) | (el << 18)) ^ ((eh >>> 18) | (el << 14)) ^ ((el >>> 9) | (eh << 23));
    const S1l = ((el >>> 14) | (eh << 18)) ^ ((el >>> 18) | (eh << 14)) ^ ((eh >>> 9) | (el << 23));
    const t1l = (hl >>> 0) + (S1l >>> 0) + ((gl ^ (el & (fl ^ gl))) >>> 0)
      + (K512[i + 1]! >>> 0) + (W512[i + 1]! >>> 0);
    const t1h = (hh + S1h + (gh ^ (eh & (fh ^ gh))) + K512[i]! + W512[i]! + ((t1l / X) | 0)) | 0;
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
  add64(h, 0, ah, al); add64(h, 2, bh, bl); add64(h, 4, ch, cl); add64(h, 6, dh, dl);
  add64(h, 8, eh, el); add64(h, 10, fh, fl); add64(h, 12, gh, gl); add64(h, 14, hh, hl);
}

function add64(h: Int32Array, i: number, xh: number, xl: number): void {
  const l = (h[i + 1]! >>> 0) + (xl >>> 0);
  h[i] = (h[i]! + xh + ((l / X) | 0)) | 0;
  h[i + 1] = l | 0;
}
