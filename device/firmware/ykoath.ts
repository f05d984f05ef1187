// The YKOATH vocabulary both ends of the wire speak: the applet ids, instructions, tags and type bytes,
// the id grammar, the key as a YubiKey keeps it, ykman's matching and order, and the capacity. Each side
// keeps its own codec (the firmware answers a status word, the host reads null), so the bytes between
// them stay a contract that ykman's own conversation can judge.
import { sha, type Algorithm } from '../core/index.js';

/** The OATH application (A0 00 00 05 27 21 01) and YubiKey Management (A0 00 00 05 27 47 11 17). */
export const AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01);
export const MANAGEMENT_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17);

/** YKOATH (CLA 00). A4 is two commands: P1=04 SELECT, P1=00 CALCULATE ALL. */
export const INS = {
  PUT: 0x01, DELETE: 0x02, SET_CODE: 0x03, RESET: 0x04, RENAME: 0x05,
  LIST: 0xa1, CALCULATE: 0xa2, VALIDATE: 0xa3, SELECT_OR_CALCULATE_ALL: 0xa4, SEND_REMAINING: 0xa5,
} as const;

/** This token's vendor commands (CLA 80): what YKOATH has no words for, such as a clock. */
export const VENDOR_INS = {
  GET_INFO: 0x10, SET_TIME: 0x11, READ_CLOCK: 0x12, CALCULATE_ONCE: 0x13, LIST_DETAILS: 0x14, TRANSACTION: 0x15,
} as const;

/** TRANSACTION's P1: the step. */
export const TXN = { BEGIN: 0x00, COMMIT: 0x01, ABORT: 0x02 } as const;

export const TAG = {
  NAME: 0x71, NAME_LIST: 0x72, KEY: 0x73, CHALLENGE: 0x74, RESPONSE: 0x75,
  TRUNCATED: 0x76, HOTP: 0x77, PROPERTY: 0x78, VERSION: 0x79, IMF: 0x7a,
  ALGORITHM: 0x7b, TOUCH: 0x7c,
} as const;

/** GET INFO's tags. */
export const INFO_TAG = {
  SERIAL: 0x80, MODEL: 0x81, FIRMWARE: 0x82, COUNT: 0x83, CAPACITY: 0x84,
  RTC: 0x85, DRIFT: 0x86, MANUFACTURED: 0x87, CODE_SET: 0x88, RETRIES: 0x89,
} as const;

/** LIST DETAILS: one `8A L typealgo digits properties id` per credential. */
export const DETAIL_TAG = 0x8a;

/** The property byte's require-touch bit (ykman sends `78 02`). */
export const PROPERTY_TOUCH = 0x02;

/** The high nibble of the type byte; the low nibble is the algorithm. */
export const TYPE = { HOTP: 0x10, TOTP: 0x20 } as const;
export const ALGORITHM_BYTE: Record<Algorithm, number> = { SHA1: 1, SHA256: 2, SHA512: 3 };
// A Map, not an object: the byte comes off the wire, and `ALGO[b]` would also find Object.prototype's keys.
const ALGORITHM_OF = new Map<number, Algorithm>([[1, 'SHA1'], [2, 'SHA256'], [3, 'SHA512']]);

export const typeByteOf = (type: 'TOTP' | 'HOTP', algorithm: Algorithm): number =>
  TYPE[type] | ALGORITHM_BYTE[algorithm];

/** A type byte read off the wire, or null when its type or algorithm is not one of YKOATH's. */
export function readType(b: number): { type: 'TOTP' | 'HOTP'; algorithm: Algorithm } | null {
  const t = b & 0xf0, algorithm = ALGORITHM_OF.get(b & 0x0f);
  if ((t !== TYPE.HOTP && t !== TYPE.TOTP) || !algorithm) return null;
  return { type: t === TYPE.HOTP ? 'HOTP' : 'TOTP', algorithm };
}

/** Credentials one token holds: a YubiKey 5.7's 64. */
export const CAPACITY = 64;
/** An id is 1 to 64 bytes of UTF-8 (ykman parses LIST as UTF-8). */
export const MAX_ID = 64;
/** The longest challenge CALCULATE, VALIDATE and SET CODE take. */
export const MAX_CHALLENGE = 64;

export interface ParsedId { name: string; issuer?: string; period: number }

/**
 * ykman's `_parse_cred_id`: a TOTP id is `[period/][issuer:]name` (period 30 without the prefix);
 * an HOTP id splits at its first ':' and has no period.
 */
export function parseId(id: string, type: 'totp' | 'hotp'): ParsedId {
  if (type === 'totp') {
    const m = /^((\d+)\/)?(([^:]+):)?(.+)$/s.exec(id);
    if (m) return { name: m[5]!, ...(m[4] ? { issuer: m[4] } : {}), period: m[2] ? Number(m[2]) : 30 };
    return { name: id, period: 30 };
  }
  const i = id.indexOf(':');
  return i > 0 ? { name: id.slice(i + 1), issuer: id.slice(0, i), period: 0 } : { name: id, period: 0 };
}

/** The hash block of each algorithm: a longer HMAC key is hashed first (RFC 2104 §2). */
export const BLOCK: Record<Algorithm, number> = { SHA1: 64, SHA256: 64, SHA512: 128 };
/** YKOATH pads a shorter key with zeros to this length. */
export const MIN_KEY = 14;

/**
 * The key as a YubiKey keeps it: hashed when longer than the hash block, then zero-padded to
 * 14 bytes. HMAC gives the same digests either way (RFC 2104 §2). Always a new array.
 */
export function normalizeKey(key: Uint8Array, algorithm: Algorithm): Uint8Array {
  const k = key.length > BLOCK[algorithm] ? sha(algorithm, key) : key;
  if (k.length >= MIN_KEY) return Uint8Array.from(k);
  const out = new Uint8Array(MIN_KEY);
  out.set(k);
  return out;
}

/** ykman's matching: an exact id wins, else a case-insensitive substring; no query (or '') is all. */
export function matching<T>(items: readonly T[], query: string | undefined, idOf: (t: T) => string): T[] {
  if (query === undefined || query === '') return [...items];
  const exact = items.find((t) => idOf(t) === query);
  if (exact !== undefined) return [exact];
  const q = query.toLowerCase();
  return items.filter((t) => idOf(t).toLowerCase().includes(q));
}

/** ykman's order: by issuer (or name when there is none), then name, case-insensitively. */
export function ykmanOrder<T>(items: readonly T[], parsed: (t: T) => { name: string; issuer?: string }): T[] {
  const key = (t: T) => {
    const p = parsed(t);
    return `${(p.issuer ?? p.name).toLowerCase()}\0${p.name.toLowerCase()}`;
  };
  return items.map((t) => [key(t), t] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t);
}
