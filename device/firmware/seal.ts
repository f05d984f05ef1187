// Secrets at rest: AES-256-GCM under scrypt(K, store salt). K itself is never stored;
// a key-check value tells a wrong access code apart from a corrupt store.
//
// The check value also lets whoever copies the file test codes offline, one scrypt per guess:
// the scrypt cost is the whole of what protects a sealed store that left the machine. K is
// PBKDF2-HMAC-SHA1 with 1000 rounds because ykman derives it so; it adds next to nothing.
import { nodeCrypto } from '../../lib/builtin.js';

const AAD = Buffer.from('totp-fob seed v1');

export interface SealKey { key: Buffer; kcv: string }
export interface Kdf { N: number; r: number; p: number }

/**
 * 128 MiB and 4 × the earlier cost: 3.1 guesses per CPU-second on the x86 cores this was measured
 * on (N=2^15 gave 12.5), so the million 6-digit codes take 3.7 days per core, 6 lower-case letters
 * and digits 22 years, a 4-digit code an hour. Unlocking pays one derivation, about 0.3 s of CPU.
 * A store sealed at a weaker cost is re-sealed at this one when it is next unlocked at power-on.
 */
export const KDF: Kdf = { N: 2 ** 17, r: 8, p: 1 };
/** What a store without `access.kdf` was sealed with. */
export const LEGACY_KDF: Kdf = { N: 2 ** 15, r: 8, p: 1 };

/** Bounds for a cost read from a file: a hand-edited N = 2^30 must not take the machine's memory. */
export function kdfProblem(k: unknown): string | null {
  const o = k as Kdf | null;
  if (typeof o !== 'object' || o === null || Object.keys(o).length !== 3) return 'not {N, r, p}';
  const pow2 = Number.isSafeInteger(o.N) && o.N >= 2 ** 14 && o.N <= 2 ** 20 && (o.N & (o.N - 1)) === 0;
  if (!pow2 || !Number.isSafeInteger(o.r) || o.r < 1 || o.r > 16 ||
    !Number.isSafeInteger(o.p) || o.p < 1 || o.p > 4) return 'out of bounds';
  return 128 * o.N * o.r > 1024 ** 3 ? 'over 1 GiB' : null;
}

/** The cost is weaker than today's: worth re-sealing once the code is known. */
export const weaker = (k: Kdf): boolean => k.N * k.r * k.p < KDF.N * KDF.r * KDF.p;

/** scrypt(K, sealSalt; kdf) → 32-byte AES key and its check value. */
export function deriveSealKey(k: Uint8Array, sealSalt: Uint8Array, kdf: Kdf = KDF): Promise<SealKey> {
  const o = { ...kdf, maxmem: 256 * kdf.N * kdf.r };
  return new Promise((res, rej) => nodeCrypto().scrypt(k, sealSalt, 32, o, (err, key) => {
    if (err) return rej(err);
    res({ key, kcv: kcvOf(key) });
  }));
}

const kcvOf = (key: Buffer): string =>
  nodeCrypto().createHmac('sha256', key).update('totp-fob key check').digest().subarray(0, 16).toString('hex');

export function sameKcv(a: string, b: string): boolean {
  return a.length === b.length && nodeCrypto().timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** A stored secret: "p:" plain when no access code is set, "g:" sealed when one is. */
export function sealSecret(raw: Uint8Array, k: SealKey | null): string {
  if (!k) return `p:${Buffer.from(raw).toString('base64')}`;
  const iv = nodeCrypto().randomBytes(12);
  const c = nodeCrypto().createCipheriv('aes-256-gcm', k.key, iv).setAAD(AAD);
  const ct = Buffer.concat([c.update(raw), c.final()]);
  return `g:${Buffer.concat([iv, ct, c.getAuthTag()]).toString('base64')}`;
}

/** The raw key, or null when it is sealed and this key cannot open it. */
export function openSecret(stored: string, k: SealKey | null): Uint8Array | null {
  const b = Buffer.from(stored.slice(2), 'base64');
  if (stored.startsWith('p:')) return new Uint8Array(b);
  if (!k || b.length < 28) return null;
  try {
    const d = nodeCrypto().createDecipheriv('aes-256-gcm', k.key, b.subarray(0, 12)).setAAD(AAD);
    d.setAuthTag(b.subarray(b.length - 16));
    return new Uint8Array(Buffer.concat([d.update(b.subarray(12, b.length - 16)), d.final()]));
  } catch {
    return null;
  }
}
