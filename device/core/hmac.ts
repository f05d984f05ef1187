// The keyed HMAC engine (RFC 2104), firmware style: a key is turned into two hash
// states once (after K^ipad and after K^opad, as Yubico's ykneo-oath stores them) and
// then forgotten. Each digest resumes from those states in buffers made with the Mac;
// a HOTP code, whose messages have a fixed shape, costs exactly two compressions.
import { OtpError } from './errors.js';
import { IV256, IV512, SHA1_IV, sha1Block, sha256Block, sha256Hotp, sha512Block, sha512Hotp } from './sha.js';
import { sha1Hotp } from './sha1-hotp.js';

export type Algorithm = 'SHA1' | 'SHA256' | 'SHA512';
export const ALGORITHMS: readonly Algorithm[] = ['SHA1', 'SHA256', 'SHA512'];

/** A keyed HMAC: the key schedule is done once, each digest reuses it. */
export interface Mac {
  readonly algorithm: Algorithm;
  /** Digest length in bytes: 20, 32 or 64. */
  readonly size: number;
  digest(msg: Uint8Array): Uint8Array;
  /**
   * HMAC of the 8-byte big-endian `counter` (0 to 2^53, unchecked), dynamically
   * truncated (RFC 4226 §5.3): the 31-bit Snum, before the modulo 10^digits.
   */
  truncated(counter: number): number;
}

export function algorithmOf(name: string): Algorithm {
  const a = String(name).toUpperCase().replace('-', '');
  if (a === 'SHA1' || a === 'SHA256' || a === 'SHA512') return a;
  throw new OtpError('E_ALGORITHM', `unknown algorithm '${String(name).slice(0, 20)}' (use SHA1, SHA256 or SHA512)`);
}

interface Hash {
  block: number; size: number; iv: Int32Array;
  compress(h: Int32Array, m: Uint8Array, off: number): void;
}
const HASH: Record<Algorithm, Hash> = {
  SHA1: { block: 64, size: 20, iv: SHA1_IV, compress: sha1Block },
  SHA256: { block: 64, size: 32, iv: IV256, compress: sha256Block },
  SHA512: { block: 128, size: 64, iv: IV512, compress: sha512Block },
};
const X = 0x100000000;
const PAD = new Uint8Array(256);

function be32(b: Uint8Array, i: number, v: number): void {
  b[i] = v >>> 24; b[i + 1] = v >>> 16; b[i + 2] = v >>> 8; b[i + 3] = v;
}

/**
 * Hashes `msg` on from state `h`, which has already absorbed `prefix` bytes, with the
 * FIPS 180-4 §5.1 padding (0x80, zeros, bit length in 8 or 16 bytes); digest to `out`.
 */
function absorb(H: Hash, h: Int32Array, prefix: number, msg: Uint8Array, out: Uint8Array): void {
  const B = H.block, n = msg.length;
  let off = 0;
  for (; off + B <= n; off += B) H.compress(h, msg, off);
  const rest = n - off, end = rest + 1 + (B >> 3) <= B ? B : 2 * B;
  PAD.fill(0, 0, end);
  PAD.set(msg.subarray(off), 0);
  PAD[rest] = 0x80;
  const bits = (prefix + n) * 8;
  be32(PAD, end - 8, Math.floor(bits / X));
  be32(PAD, end - 4, bits >>> 0);
  H.compress(h, PAD, 0);
  if (end > B) H.compress(h, PAD, B);
  for (let i = 0; i < H.size; i++) out[i] = h[i >> 2]! >>> (24 - ((i & 3) << 3));
}

/** Also takes 'sha256', 'SHA-512' and the like from untyped callers; refuses the rest. */
const hashOf = (a: Algorithm): Hash => (Object.hasOwn(HASH, a) ? HASH[a] : HASH[algorithmOf(a)]);

/** SHA-1, SHA-256 or SHA-512 of a whole message (FIPS 180-4). */
export function sha(algorithm: Algorithm, msg: Uint8Array): Uint8Array {
  const H = hashOf(algorithm), out = new Uint8Array(H.size);
  absorb(H, H.iv.slice(), 0, msg, out);
  return out;
}

export function createMac(algorithm: Algorithm, key: Uint8Array): Mac {
  const H = hashOf(algorithm), B = H.block, S = H.size, n = H.iv.length;
  // RFC 2104 §2: a key longer than B is hashed first; either way it is zero-padded to B.
  const k = new Uint8Array(B);
  if (key.length > B) absorb(H, H.iv.slice(), 0, key, k); else k.set(key);
  const st = new Int32Array(2 * n), inner = st.subarray(0, n), outer = st.subarray(n);
  for (let i = 0; i < B; i++) k[i] ^= 0x36;
  inner.set(H.iv); H.compress(inner, k, 0);
  for (let i = 0; i < B; i++) k[i] ^= 0x36 ^ 0x5c;
  outer.set(H.iv); H.compress(outer, k, 0);
  k.fill(0);

  const h = new Int32Array(n), mid = new Uint8Array(S);
  const digest = (msg: Uint8Array): Uint8Array => {
    const out = new Uint8Array(S);
    h.set(inner); absorb(H, h, B, msg, mid);
    h.set(outer); absorb(H, h, B, mid, out);
    return out;
  };
  // One literal per algorithm keeps each call site monomorphic (a shared one halves SHA-512).
  const truncated = algorithm === 'SHA1' ? (c: number) => sha1Hotp(st, (c / X) | 0, c | 0)
    : algorithm === 'SHA256' ? (c: number) => sha256Hotp(st, (c / X) | 0, c | 0)
    : (c: number) => sha512Hotp(st, (c / X) | 0, c | 0);
  return { algorithm, size: S, digest, truncated };
}

export const hmac = (algorithm: Algorithm, key: Uint8Array, msg: Uint8Array): Uint8Array =>
  createMac(algorithm, key).digest(msg);
