// The cryptography of RFC 6030 §6, on node:crypto: the ciphers and MACs PSKC files use, PBKDF2
// (PKCS #5 v2.0) for password-derived keys, and constant-time MAC checks. Pure: bytes in, bytes out;
// null where the key is wrong (bad padding, failed key-wrap integrity check).
import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';

export interface Cipher { uri: string; mode: 'cbc' | 'kw'; keyLength: number; label: string }

/** XML Encryption 1.0 block ciphers: AES-CBC (IV first) and the RFC 3394 AES key wrap. */
const CIPHERS = new Map<string, Omit<Cipher, 'uri'>>([
  ['http://www.w3.org/2001/04/xmlenc#aes128-cbc', { mode: 'cbc', keyLength: 16, label: 'AES-128-CBC' }],
  ['http://www.w3.org/2001/04/xmlenc#aes192-cbc', { mode: 'cbc', keyLength: 24, label: 'AES-192-CBC' }],
  ['http://www.w3.org/2001/04/xmlenc#aes256-cbc', { mode: 'cbc', keyLength: 32, label: 'AES-256-CBC' }],
  ['http://www.w3.org/2001/04/xmlenc#kw-aes128', { mode: 'kw', keyLength: 16, label: 'AES-128 key wrap' }],
  ['http://www.w3.org/2001/04/xmlenc#kw-aes192', { mode: 'kw', keyLength: 24, label: 'AES-192 key wrap' }],
  ['http://www.w3.org/2001/04/xmlenc#kw-aes256', { mode: 'kw', keyLength: 32, label: 'AES-256 key wrap' }],
]);

export function cipherOf(uri: string): Cipher | undefined {
  const c = CIPHERS.get(uri);
  return c && { uri, ...c };
}

export type Hash = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
/** HMAC URIs from XML Signature (hmac-sha1) and RFC 6931 (the others). */
const HMACS = new Map<string, Hash>([
  ['http://www.w3.org/2000/09/xmldsig#hmac-sha1', 'sha1'],
  ['http://www.w3.org/2001/04/xmldsig-more#hmac-sha224', 'sha224'],
  ['http://www.w3.org/2001/04/xmldsig-more#hmac-sha256', 'sha256'],
  ['http://www.w3.org/2001/04/xmldsig-more#hmac-sha384', 'sha384'],
  ['http://www.w3.org/2001/04/xmldsig-more#hmac-sha512', 'sha512'],
]);
export const hmacOf = (uri: string): Hash | undefined => HMACS.get(uri);

/** PBKDF2 work is paid before anything can be checked: cap it (OWASP's 2023 advice tops out at 1.3M for SHA-1). */
export const MAX_PBKDF2_ITERATIONS = 2_000_000;
export const PBKDF2_URIS = new Set([
  'http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2',
  'http://www.w3.org/2009/xmlenc11#pbkdf2',
]);

/** RFC 8018 §5.2 with the password as UTF-8 (python-pskc and libpskc do the same). */
export function pbkdf2(password: string, salt: Uint8Array, iterations: number, keyLength: number, prf: Hash): Uint8Array {
  return new Uint8Array(pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, keyLength, prf));
}

const KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

/** Why a CipherValue cannot be ciphertext of this cipher at all (the file is damaged), or undefined. */
export function shapeProblem(c: Cipher, data: Uint8Array): string | undefined {
  if (c.mode === 'cbc' && (data.length < 32 || data.length % 16)) {
    return `${data.length} bytes, not a 16-byte IV and whole AES blocks`;
  }
  if (c.mode === 'kw' && (data.length < 24 || data.length % 8)) return `${data.length} bytes, not an RFC 3394 wrap`;
  return undefined;
}

/** The plaintext, or null when the key is wrong (padding or key-wrap integrity check failed). */
export function decrypt(c: Cipher, key: Uint8Array, data: Uint8Array): Uint8Array | null {
  const bits = c.keyLength * 8;
  try {
    const d = c.mode === 'cbc'
      ? createDecipheriv(`aes-${bits}-cbc`, key, data.subarray(0, 16))
      : createDecipheriv(`id-aes${bits}-wrap`, key, KW_IV);
    const body = c.mode === 'cbc' ? data.subarray(16) : data;
    return new Uint8Array(Buffer.concat([d.update(body), d.final()]));
  } catch {
    return null;
  }
}

/** RFC 6030 §6.1.1: ValueMAC is the HMAC of the whole CipherValue (IV and ciphertext), compared in constant time. */
export function macMatches(hash: Hash, key: Uint8Array, data: Uint8Array, mac: Uint8Array): boolean {
  const want = createHmac(hash, key).update(data).digest();
  return want.length === mac.length && timingSafeEqual(want, mac);
}
