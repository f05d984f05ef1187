// Secrets at rest: AES-256-GCM under scrypt(K, store salt). K itself is never stored;
// a key-check value tells a wrong access code apart from a corrupt store.
import { nodeCrypto } from './node-crypto.js';

const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const AAD = Buffer.from('totp-fob seed v1');

export interface SealKey { key: Buffer; kcv: string }

/** scrypt(K, sealSalt; N=2^15, r=8, p=1) → 32-byte AES key and its check value. */
export function deriveSealKey(k: Uint8Array, sealSalt: Uint8Array): Promise<SealKey> {
  return new Promise((res, rej) => nodeCrypto().scrypt(k, sealSalt, 32, SCRYPT, (err, key) => {
    if (err) return rej(err);
    res({ key, kcv: kcvOf(key) });
  }));
}

const kcvOf = (key: Buffer): string => nodeCrypto().createHmac('sha256', key).update('totp-fob key check').digest().subarray(0, 16).toString('hex');

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
