import { OtpError } from './errors.js';

const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const LOOKUP = new Int8Array(128).fill(-1);
for (let i = 0; i < 32; i++) {
  LOOKUP[ALPHA.charCodeAt(i)] = i;
  LOOKUP[ALPHA.toLowerCase().charCodeAt(i)] = i;
}

/** RFC 4648 §6 base32, upper case, no padding (Key Uri Format: padding "should be omitted"). */
export function base32Encode(bytes: Uint8Array): string {
  let out = '', bits = 0, acc = 0;
  for (let i = 0; i < bytes.length; i++) {
    acc = (acc << 8) | bytes[i]!; bits += 8;
    while (bits >= 5) { bits -= 5; out += ALPHA[(acc >>> bits) & 31]; }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHA[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * RFC 4648 §6 base32, read the way real issuers write it: lower case (Google shows
 * secrets that way), spaces between groups, padding missing, partial or complete.
 * Anything else is an E_BASE32 naming the character and its 1-based position. Bits
 * left over after the last whole byte are dropped, as authenticator apps do.
 */
export function base32Decode(text: string): Uint8Array {
  if (typeof text !== 'string') throw new OtpError('E_BASE32', 'invalid base32: not text');
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let n = 0, bits = 0, acc = 0, pad = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32) continue;
    if (c === 61) { pad = true; continue; }
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) {
      const shown = c < 33 || c > 126 ? `U+${c.toString(16).toUpperCase().padStart(4, '0')}` : `'${text[i]}'`;
      throw new OtpError('E_BASE32',
        `invalid base32: character ${shown} at position ${i + 1} (allowed: A-Z, 2-7, spaces, trailing =)`);
    }
    if (pad) throw new OtpError('E_BASE32', `invalid base32: data after padding at position ${i + 1}`);
    acc = ((acc << 5) | v) & 0xfff; bits += 5;
    if (bits >= 8) { bits -= 8; out[n++] = acc >>> bits; }
  }
  return out.slice(0, n);
}
