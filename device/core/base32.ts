import { OtpError } from './errors.js';

const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const LOOKUP = new Int8Array(128).fill(-1);
for (let i = 0; i < 32; i++) {
  LOOKUP[ALPHA.charCodeAt(i)] = i;
  LOOKUP[ALPHA.toLowerCase().charCodeAt(i)] = i;
}

/** RFC 4648 base32, upper case, no padding (Key Uri Format: padding "should be omitted"). */
export function base32Encode(bytes: Uint8Array): string {
  let out = '', bits = 0, acc = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b; bits += 8;
    while (bits >= 5) { bits -= 5; out += ALPHA[(acc >>> bits) & 31]; }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHA[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * Accepts what real issuers send: lower case (Google, pquerna/otp#24), spaces and
 * hyphens between groups, missing or partial padding. Anything else names its position.
 */
export function base32Decode(text: string): Uint8Array {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let n = 0, bits = 0, acc = 0, pad = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 45 || c === 9) continue;
    if (c === 61) { if (pad < 0) pad = i; continue; }
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0 || pad >= 0) {
      const shown = c < 32 || c > 126 ? `U+${c.toString(16).toUpperCase().padStart(4, '0')}` : `'${text[i]}'`;
      throw new OtpError('E_BASE32', pad >= 0 && v >= 0
        ? `invalid base32: data after padding at position ${i + 1}`
        : `invalid base32: character ${shown} at position ${i + 1} (allowed: A-Z, 2-7)`);
    }
    acc = ((acc << 5) | v) & 0xffff; bits += 5;
    if (bits >= 8) { bits -= 8; out[n++] = (acc >>> bits) & 0xff; }
  }
  return out.slice(0, n);
}
