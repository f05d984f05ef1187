// One credential: its YKOATH id and type byte, its key as a YubiKey keeps it, and its codes.
import { counterBytes, createMac, hotpWith, sha, truncate, type Algorithm } from '../core/index.js';
import { SW, SwError } from './apdu.js';
import { defaultHash, type HashFn } from './post.js';
import type { Credential, State } from './store.js';
import { concat, tlv, TAG } from './tlv.js';

export const TYPE = { HOTP: 0x10, TOTP: 0x20 } as const;
// A Map, not an object: the byte comes off the wire, and `ALGO[b]` would also find Object.prototype's keys.
const ALGO = new Map<number, Algorithm>([[1, 'SHA1'], [2, 'SHA256'], [3, 'SHA512']]);
const ALGO_BYTE: Record<Algorithm, number> = { SHA1: 1, SHA256: 2, SHA512: 3 };
export const BLOCK: Record<Algorithm, number> = { SHA1: 64, SHA256: 64, SHA512: 128 };

export const MAX_ID = 64;
export const MIN_KEY = 14;

export const typeByte = (c: Credential): number => TYPE[c.type] | ALGO_BYTE[c.algorithm];

export function readTypeByte(b: number): { type: 'TOTP' | 'HOTP'; algorithm: Algorithm } {
  const t = b & 0xf0, a = ALGO.get(b & 0x0f);
  if ((t !== TYPE.HOTP && t !== TYPE.TOTP) || !a) throw new SwError(SW.WRONG_DATA);
  return { type: t === TYPE.HOTP ? 'HOTP' : 'TOTP', algorithm: a };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A YKOATH id: 1–64 bytes of UTF-8 (ykman parses LIST as UTF-8). */
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
  return `U+${hex(m[0], 4)}, ${c < 0xa0 ? 'a control character' : c === 0x2028 || c === 0x2029 ? 'a line separator' : 'a bidi control'}`;
}

/** An id to put on a screen: each character idProblem refuses as \x1b or \u202e, the rest as it is. */
export const printableId = (id: string): string =>
  id.replace(UNSAFE_IDS, (c) => (c.codePointAt(0)! <= 0xff ? `\\x${hex(c, 2).toLowerCase()}` : `\\u${hex(c, 4).toLowerCase()}`));

/** A new id (PUT, RENAME's target): readId's rules and idProblem's. */
export function readNewId(b: Uint8Array): string {
  const id = readId(b);
  if (idProblem(id)) throw new SwError(SW.WRONG_DATA);
  return id;
}

export const idBytes = (id: string): Uint8Array => new TextEncoder().encode(id);

/** TOTP period from `[period/][issuer:]name` (ykman's `_parse_cred_id`); 30 without a prefix. */
export function periodOf(id: string, type: 'TOTP' | 'HOTP'): number {
  if (type === 'HOTP') return 0;
  const m = /^((\d+)\/)?(([^:]+):)?(.+)$/s.exec(id);
  const p = m?.[2] === undefined ? 30 : Number(m[2]);
  if (!Number.isInteger(p) || p < 1 || p > 300) throw new SwError(SW.WRONG_DATA);
  return p;
}

/**
 * The key as a YubiKey keeps it: hashed when longer than the hash block, then zero-padded
 * to 14 bytes. HMAC gives the same digests either way (RFC 2104 §2).
 */
export function normalizeKey(key: Uint8Array, algorithm: Algorithm): Uint8Array {
  let k = key;
  if (k.length > BLOCK[algorithm]) k = sha(algorithm, k);
  if (k.length >= MIN_KEY) return Uint8Array.from(k);
  const out = new Uint8Array(MIN_KEY);
  out.set(k);
  return out;
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
