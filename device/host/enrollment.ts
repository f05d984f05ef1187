// What an enrollment source yields, and what the device can honour (issue 4: digits 6 to 8,
// period 1 to 300 s, an id of at most 64 bytes; YKOATH needs a key of at least 2 bytes).
import type { Algorithm } from '../core/index.js';
import { HostError } from './errors.js';
import { formatId } from './ids.js';

export interface Enrollment {
  account: string;
  issuer?: string;
  secret: Uint8Array;
  type: 'totp' | 'hotp';
  algorithm: Algorithm;
  digits: number;
  period: number;
  counter: number;
  touch?: boolean;
}

/** RFC 4226 §4 R6 asks for 128 bits; real issuers often send 80 (10 bytes). */
export const RECOMMENDED_SECRET = 16;

/** Throws for what the device cannot hold; returns warnings for what it holds reluctantly. */
export function checkEnrollment(e: Enrollment): { id: string; warnings: string[] } {
  const bad = (why: string): never => { throw new HostError('E_UNSUPPORTED', `the token cannot hold this credential: ${why}`); };
  if (!Number.isInteger(e.digits) || e.digits < 6 || e.digits > 8) bad(`${e.digits} digits (it shows 6 to 8)`);
  if (e.type === 'totp' && (!Number.isInteger(e.period) || e.period < 1 || e.period > 300)) bad(`a ${e.period} s period (it takes 1 to 300 s)`);
  if (e.type === 'hotp' && (!Number.isInteger(e.counter) || e.counter < 0 || e.counter > 0xffffffff)) bad(`counter ${e.counter} (YKOATH carries 0 to 2^32-1)`);
  if (e.secret.length < 2) bad(`a ${e.secret.length}-byte secret (at least 2 bytes)`);
  if (!e.account.trim()) bad('an empty name');
  if (e.issuer !== undefined && e.issuer.includes(':')) bad(`issuer '${e.issuer}' contains ':'`);
  if (/[\u0000-\u001f\u007f]/.test(e.account + (e.issuer ?? ''))) bad('control characters in the name');
  const id = formatId(e);
  const warnings: string[] = [];
  if (e.secret.length < RECOMMENDED_SECRET) {
    warnings.push(`the secret is ${e.secret.length} bytes; RFC 4226 asks for at least ${RECOMMENDED_SECRET} (accepted, as issuers send such)`);
  }
  return { id, warnings };
}
