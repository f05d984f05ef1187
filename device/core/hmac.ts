import { createHmac } from 'node:crypto';
import { OtpError } from './errors.js';

export type Algorithm = 'SHA1' | 'SHA256' | 'SHA512';
export const ALGORITHMS: readonly Algorithm[] = ['SHA1', 'SHA256', 'SHA512'];

/** A keyed HMAC: the key schedule is done once, each digest reuses it. */
export interface Mac {
  readonly algorithm: Algorithm;
  readonly size: number;
  digest(msg: Uint8Array): Uint8Array;
}

export function algorithmOf(name: string): Algorithm {
  const a = name.toUpperCase().replace('-', '');
  if (a === 'SHA1' || a === 'SHA256' || a === 'SHA512') return a;
  throw new OtpError('E_ALGORITHM', `unknown algorithm '${name}' (use SHA1, SHA256 or SHA512)`);
}

// Placeholder engine: node:crypto per digest. Replaced by the precomputed-pad engine.
export function createMac(algorithm: Algorithm, key: Uint8Array): Mac {
  const name = algorithm === 'SHA1' ? 'sha1' : algorithm === 'SHA256' ? 'sha256' : 'sha512';
  const size = algorithm === 'SHA1' ? 20 : algorithm === 'SHA256' ? 32 : 64;
  const k = Uint8Array.from(key);
  return { algorithm, size, digest: (m) => new Uint8Array(createHmac(name, k).update(m).digest()) };
}

export const hmac = (algorithm: Algorithm, key: Uint8Array, msg: Uint8Array): Uint8Array =>
  createMac(algorithm, key).digest(msg);
