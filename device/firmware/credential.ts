// One credential: its YKOATH id and type byte, its key as a YubiKey keeps it, and its codes.
import { counterBytes, createMac, hotpWith, truncate, type Algorithm } from '../core/index.js';
import { concat, SW, SwError, tlv } from './apdu.js';
import { defaultHash, type HashFn } from './power-on-test.js';
import type { Credential, State } from './store.js';
import { MAX_ID, parseId, readType, TAG, typeByteOf } from './ykoath.js';

export const typeByte = (c: Credential): number => typeByteOf(c.type, c.algorithm);

export function readTypeByte(b: number): { type: 'TOTP' | 'HOTP'; algorithm: Algorithm } {
  const t = readType(b);
  if (!t) throw new SwError(SW.WRONG_DATA);
  return t;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A YKOATH id: 1 to MAX_ID bytes of UTF-8. */
export function readId(b: Uint8Array): string {
  if (b.length < 1 || b.length > MAX_ID) throw new SwError(SW.WRONG_DATA);
  try { return utf8.decode(b); } catch { throw new SwError(SW.WRONG_DATA); }
}

/**
 * What an id may not hold, because a terminal would obey it rather than show it: the C0 and C1
 * controls and DEL (ESC clears the screen, LF fakes a row, NUL cuts a C string), the line and
 * paragraph separators, and the bidi marks, embeddings, overrides and isolates (U+202E turns
 * "moc.evil:alice" around). PUT, RENAME, the store's load and the host's enroll and rename all
 * ask this one rule; renderers escape the same set.
 */
const UNSAFE_ID = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_IDS = new RegExp(UNSAFE_ID.source, 'g');

const hex = (c: string, w: number) => c.codePointAt(0)!.toString(16).toUpperCase().padStart(w, '0');

/** Why an id cannot be stored ("U+001B, a control character"), or null when it can. */
export function idProblem(id: string): string | null {
  const m = UNSAFE_ID.exec(id);
  if (!m) return null;
  const c = m[0].codePointAt(0)!;
  const what = c < 0xa0 ? 'a control character' : c === 0x2028 || c === 0x2029 ? 'a line separator' : 'a bidi control';
  return `U+${hex(m[0], 4)}, ${what}`;
}

/** An id to put on a screen: each character idProblem refuses as \x1b or \u202e, the rest as it is. */
export const printableId = (id: string): string =>
  id.replace(UNSAFE_IDS, (c) =>
    (c.codePointAt(0)! <= 0xff ? `\\x${hex(c, 2).toLowerCase()}` : `\\u${hex(c, 4).toLowerCase()}`));

/** A new id (PUT, RENAME's target): readId's rules and idProblem's. */
export function readNewId(b: Uint8Array): string {
  const id = readId(b);
  if (idProblem(id)) throw new SwError(SW.WRONG_DATA);
  return id;
}

export const idBytes = (id: string): Uint8Array => new TextEncoder().encode(id);

/** TOTP period from the id's prefix (30 without one), 1 to 300 s; HOTP has none. */
export function periodOf(id: string, type: 'TOTP' | 'HOTP'): number {
  if (type === 'HOTP') return 0;
  const p = parseId(id, 'totp').period;
  if (!Number.isInteger(p) || p < 1 || p > 300) throw new SwError(SW.WRONG_DATA);
  return p;
}

/** RFC 4226 §5.3 dynamic truncation, as the 4 bytes YKOATH's tag 76 carries. */
export function truncated4(d: Uint8Array): Uint8Array {
  const o = d[d.length - 1]! & 15;
  return Uint8Array.of(d[o]! & 0x7f, d[o + 1]!, d[o + 2]!, d[o + 3]!);
}

/** P2=01: `76 05 digits DT`; P2=00 (ykman's Steam path): `75 L digits full-HMAC`. */
export function answer(c: Credential, digest: Uint8Array, p2: number): Uint8Array {
  return p2 === 1
    ? tlv(TAG.TRUNCATED, concat([Uint8Array.of(c.digits), truncated4(digest)]))
    : tlv(TAG.RESPONSE, concat([Uint8Array.of(c.digits), digest]));
}

export const codeAt = (hash: HashFn, c: Credential, key: Uint8Array, step: number): string =>
  truncate(hash(c.algorithm, key, counterBytes(step)), c.digits);

/** Codes at several steps from one key schedule (the LCD's code and next); the POST's engine when swapped. */
export function codesAt(hash: HashFn, c: Credential, key: Uint8Array, steps: readonly number[]): string[] {
  if (hash !== defaultHash) return steps.map((s) => codeAt(hash, c, key, s));
  const mac = createMac(c.algorithm, key);
  return steps.map((s) => hotpWith(mac, s, c.digits));
}

export const find = (s: State, id: string): number => s.credentials.findIndex((c) => c.id === id);

