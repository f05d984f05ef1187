// SHA-1 block function (FIPS 180-4 §6.1.2) for messages of any length. HOTP's
// fixed-shape blocks take the unrolled path in sha1-hotp.ts instead.

export const SHA1_IV = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0);

const W = new Int32Array(80);

export function sha1Block(h: Int32Array, m: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++, off += 4) {
    W[i] = (m[off]! << 24) | (m[off + 1]! << 16) | (m[off + 2]! << 8) | m[off + 3]!;
  }
  for (let i = 16; i < 80; i++) {
    const x = W[i - 3]! ^ W[i - 8]! ^ W[i - 14]! ^ W[i - 16]!;
    W[i] = (x << 1) | (x >>> 31);
  }
  let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!;
  for (let i = 0; i < 80; i++) {
    const f = i < 20 ? (d ^ (b & (c ^ d))) + 0x5a827999
      : i < 40 ? (b ^ c ^ d) + 0x6ed9eba1
      : i < 60 ? ((b & c) | (d & (b | c))) + 0x8f1bbcdc
      : (b ^ c ^ d) + 0xca62c1d6;
    const t = (((a << 5) | (a >>> 27)) + f + e + W[i]!) | 0;
    e = d; d = c; c = (b << 30) | (b >>> 2); b = a; a = t;
  }
  h[0] = (h[0]! + a) | 0; h[1] = (h[1]! + b) | 0; h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0; h[4] = (h[4]! + e) | 0;
}
