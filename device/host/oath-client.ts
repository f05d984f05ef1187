// The host's YKOATH codec: builds YKOATH (CLA 00) and vendor (CLA 80) commands and reads their
// answers, in the vocabulary the firmware speaks (firmware/ykoath.ts); byte layouts are in
// device/firmware/APDU.md. A malformed answer is null inside and E_APDU outside, never a throw
// from deep in a parser.
import { nodeCrypto } from '../../lib/builtin.js';
import type { Algorithm } from '../core/index.js';
import {
  AID, DETAIL_TAG, INFO_TAG, INS as OATH_INS, normalizeKey, PROPERTY_TOUCH, readType, TAG as T, TXN, typeByteOf,
  VENDOR_INS,
} from '../firmware/ykoath.js';
import { HostError } from './errors.js';

/** Every instruction the host sends: YKOATH's (CLA 00) and the vendor's (CLA 80). */
export const INS = { ...OATH_INS, ...VENDOR_INS } as const;

// --- BER-TLV as YKOATH uses it: one-byte tags, lengths < 0x80 in one byte, else 81 xx / 82 xx xx ---

export interface Tlv { tag: number; value: Uint8Array }

export function tlv(tag: number, value: Uint8Array): Uint8Array {
  const n = value.length;
  const head = n < 0x80 ? [tag, n] : n < 0x100 ? [tag, 0x81, n] : [tag, 0x82, n >> 8, n & 0xff];
  const out = new Uint8Array(head.length + n);
  out.set(head); out.set(value, head.length);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Parses a run of TLVs; null when the bytes are not exactly that (a short or overlong field). */
export function parseTlvs(b: Uint8Array): Tlv[] | null {
  const out: Tlv[] = [];
  let i = 0;
  while (i < b.length) {
    if (i + 2 > b.length) return null;
    const tag = b[i]!;
    let len = b[i + 1]!; i += 2;
    if (len === 0x81) { if (i >= b.length) return null; len = b[i++]!; }
    else if (len === 0x82) { if (i + 1 >= b.length) return null; len = (b[i]! << 8) | b[i + 1]!; i += 2; }
    else if (len > 0x80) return null;
    if (i + len > b.length) return null;
    out.push({ tag, value: b.subarray(i, i + len) });
    i += len;
  }
  return out;
}

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
export const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
export const text = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8');

// --- APDUs ------------------------------------------------------------------------------------

/** A short APDU as ykman frames it: Lc always present (00 when there is no data), no Le. */
export function apdu(
  cla: number, ins: number, p1: number, p2: number, data: Uint8Array = new Uint8Array(0),
): Uint8Array {
  if (data.length > 255) throw new HostError('E_INPUT', `APDU data of ${data.length} bytes exceeds 255`);
  return concat(Uint8Array.of(cla, ins, p1, p2, data.length), data);
}

const be64 = (n: number): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt(Math.trunc(n)));
  return b;
};
const readBe64 = (b: Uint8Array): number => Number(new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0));
const one = (b: Uint8Array, tag: number): Uint8Array => {
  const t = parseTlvs(b);
  if (!t || t.length !== 1 || t[0]!.tag !== tag) throw malformed(tag);
  return t[0]!.value;
};
const malformed = (what: number | string) => new HostError('E_APDU',
  `the device answered with malformed data (${typeof what === 'number' ? 'tag ' + what.toString(16) : what})`);

// --- YKOATH -------------------------------------------------------------------------------

export const select = () => apdu(0x00, INS.SELECT_OR_CALCULATE_ALL, 0x04, 0x00, AID);

export interface Selected { version: string; salt: Uint8Array; challenge?: Uint8Array }
export function parseSelect(data: Uint8Array): Selected {
  const t = parseTlvs(data);
  const v = t?.find((x) => x.tag === T.VERSION)?.value, salt = t?.find((x) => x.tag === T.NAME)?.value;
  if (!v || v.length !== 3 || !salt) throw malformed('SELECT');
  const challenge = t!.find((x) => x.tag === T.CHALLENGE)?.value;
  return { version: [...v].join('.'), salt, ...(challenge ? { challenge } : {}) };
}

export interface PutCredential {
  id: string; type: 'totp' | 'hotp'; algorithm: Algorithm; digits: number; secret: Uint8Array;
  touch?: boolean; counter?: number;
}
export function put(c: PutCredential): Uint8Array {
  const type = typeByteOf(c.type === 'totp' ? 'TOTP' : 'HOTP', c.algorithm);
  const key = concat(Uint8Array.of(type, c.digits), normalizeKey(c.secret, c.algorithm));
  // 78 is a tag followed by one property byte with no length: ykman sends it that way, and so does a YubiKey's SDK.
  const parts = [tlv(T.NAME, utf8(c.id)), tlv(T.KEY, key)];
  if (c.touch) parts.push(Uint8Array.of(T.PROPERTY, PROPERTY_TOUCH));
  if (c.type === 'hotp' && c.counter) {
    const n = new Uint8Array(4); new DataView(n.buffer).setUint32(0, c.counter);
    parts.push(tlv(T.IMF, n));
  }
  return apdu(0x00, INS.PUT, 0, 0, concat(...parts));
}

export const remove = (id: string) => apdu(0x00, INS.DELETE, 0, 0, tlv(T.NAME, utf8(id)));
export const rename = (from: string, to: string) =>
  apdu(0x00, INS.RENAME, 0, 0, concat(tlv(T.NAME, utf8(from)), tlv(T.NAME, utf8(to))));
export const list = () => apdu(0x00, INS.LIST, 0, 0);
export const reset = () => apdu(0x00, INS.RESET, 0xde, 0xad);
export const sendRemaining = () => apdu(0x00, INS.SEND_REMAINING, 0, 0);

export interface Listed { id: string; type: 'totp' | 'hotp'; algorithm: Algorithm }
export function parseList(data: Uint8Array): Listed[] {
  const t = parseTlvs(data);
  if (!t) throw malformed('LIST');
  return t.map((x) => {
    const b = x.value[0], kind = b === undefined ? null : readType(b);
    if (x.tag !== T.NAME_LIST || !kind) throw malformed('LIST');
    return { id: text(x.value.subarray(1)), type: kind.type === 'TOTP' ? 'totp' : 'hotp', algorithm: kind.algorithm };
  });
}

/** TOTP challenge = pack(">q", t // period); HOTP sends it empty (the card keeps the counter). */
export const calculate = (id: string, step: number | null) => apdu(0x00, INS.CALCULATE, 0, 0x01,
  concat(tlv(T.NAME, utf8(id)), tlv(T.CHALLENGE, step === null ? new Uint8Array(0) : be64(step))));

/** `76 05 <digits> <4 bytes>`: the dynamically truncated value, reduced mod 10^digits here. */
export function parseCode(data: Uint8Array): string {
  const v = one(data, T.TRUNCATED);
  if (v.length !== 5) throw malformed(T.TRUNCATED);
  return codeOf(v);
}
const codeOf = (v: Uint8Array) => {
  const n = new DataView(v.buffer, v.byteOffset + 1, 4).getUint32(0) & 0x7fffffff;
  return String(n % 10 ** v[0]!).padStart(v[0]!, '0');
};

export const calculateAll = (step: number) =>
  apdu(0x00, INS.SELECT_OR_CALCULATE_ALL, 0x00, 0x01, tlv(T.CHALLENGE, be64(step)));
export interface Calculated { id: string; digits: number; kind: 'code' | 'hotp' | 'touch'; code?: string }
export function parseCalculateAll(data: Uint8Array): Calculated[] {
  const t = parseTlvs(data);
  if (!t || t.length % 2) throw malformed('CALCULATE ALL');
  const out: Calculated[] = [];
  for (let i = 0; i < t.length; i += 2) {
    const n = t[i]!, r = t[i + 1]!;
    if (n.tag !== T.NAME || r.value.length < 1) throw malformed('CALCULATE ALL');
    const id = text(n.value), digits = r.value[0]!;
    if (r.tag === T.TRUNCATED && r.value.length === 5) {
      out.push({ id, digits, kind: 'code', code: codeOf(r.value) });
    }
    else if (r.tag === T.HOTP) out.push({ id, digits, kind: 'hotp' });
    else if (r.tag === T.TOUCH) out.push({ id, digits, kind: 'touch' });
    else throw malformed(r.tag);
  }
  return out;
}

/** The YKOATH access key: PBKDF2-HMAC-SHA1(code, SELECT's salt, 1000, 16). */
export const deriveKey = (code: string, salt: Uint8Array): Uint8Array =>
  new Uint8Array(nodeCrypto().pbkdf2Sync(Buffer.from(code.normalize('NFC'), 'utf8'), salt, 1000, 16, 'sha1'));
const mac = (key: Uint8Array, msg: Uint8Array) =>
  new Uint8Array(nodeCrypto().createHmac('sha1', key).update(msg).digest());

export const validate = (key: Uint8Array, deviceChallenge: Uint8Array, hostChallenge: Uint8Array) => apdu(0x00,
  INS.VALIDATE, 0, 0, concat(tlv(T.RESPONSE, mac(key, deviceChallenge)), tlv(T.CHALLENGE, hostChallenge)));
/** Mutual authentication: the device must prove it knows the key too. */
export function checkValidate(data: Uint8Array, key: Uint8Array, hostChallenge: Uint8Array): boolean {
  const v = one(data, T.RESPONSE);
  const want = mac(key, hostChallenge);
  return v.length === want.length && v.every((b, i) => b === want[i]);
}
/** The key's type byte is HMAC-SHA1 (TOTP type, algorithm 1), as ykman sends it. */
export const setCode = (key: Uint8Array, challenge: Uint8Array) => apdu(0x00, INS.SET_CODE, 0, 0, concat(
  tlv(T.KEY, concat(Uint8Array.of(typeByteOf('TOTP', 'SHA1')), key)), tlv(T.CHALLENGE, challenge),
  tlv(T.RESPONSE, mac(key, challenge)),
));
export const clearCode = () => apdu(0x00, INS.SET_CODE, 0, 0, tlv(T.KEY, new Uint8Array(0)));

// --- vendor (CLA 80) ----------------------------------------------------------------------

export const getInfo = () => apdu(0x80, INS.GET_INFO, 0, 0);
export interface DeviceInfo {
  serial: string; model: string; firmware: string; credentials: number; capacity: number;
  rtcMs: number; driftPpm: number; manufacturedMs: number; accessCode: boolean; retries: number;
}
export function parseInfo(data: Uint8Array): DeviceInfo {
  const t = parseTlvs(data);
  if (!t) throw malformed('GET INFO');
  const get = (tag: number, len?: number) => {
    const v = t.find((x) => x.tag === tag)?.value;
    if (!v || (len !== undefined && v.length !== len)) throw malformed(tag);
    return v;
  };
  const I = INFO_TAG, drift = get(I.DRIFT, 4);
  return {
    serial: text(get(I.SERIAL)), model: text(get(I.MODEL)), firmware: [...get(I.FIRMWARE, 3)].join('.'),
    credentials: get(I.COUNT, 1)[0]!, capacity: get(I.CAPACITY, 1)[0]!, rtcMs: readBe64(get(I.RTC, 8)),
    driftPpm: new DataView(drift.buffer, drift.byteOffset, 4).getInt32(0) / 1000,
    manufacturedMs: readBe64(get(I.MANUFACTURED, 8)), accessCode: get(I.CODE_SET, 1)[0] === 1,
    retries: get(I.RETRIES, 1)[0]!,
  };
}
export const setTime = (ms: number, force: boolean) => apdu(0x80, INS.SET_TIME, force ? 1 : 0, 0, be64(ms));
export const readClock = () => apdu(0x80, INS.READ_CLOCK, 0, 0);
export function parseClock(data: Uint8Array): number {
  if (data.length !== 8) throw malformed('READ CLOCK');
  return readBe64(data);
}
/** P1=01 under a simulated host clock: the device computes but records no high-water step. */
export const calculateOnce = (id: string, step: number, simulated: boolean, pair = false) => apdu(0x80,
  INS.CALCULATE_ONCE, simulated ? 1 : 0, pair ? 1 : 0, concat(tlv(T.NAME, utf8(id)), tlv(T.CHALLENGE, be64(step))));

/** CALCULATE ONCE with P2=01: two `76` TLVs, for the step and the one after it. */
export function parsePair(data: Uint8Array): [string, string] {
  const t = parseTlvs(data);
  if (!t || t.length !== 2 || t.some((x) => x.tag !== T.TRUNCATED || x.value.length !== 5)) {
    throw malformed('CALCULATE ONCE');
  }
  return [codeOf(t[0]!.value), codeOf(t[1]!.value)];
}

/** TRANSACTION: BEGIN stages the PUTs and DELETEs that follow, COMMIT writes them at once, ABORT drops them. */
export const transaction = (step: keyof typeof TXN) => apdu(0x80, INS.TRANSACTION, TXN[step], 0);

/** LIST DETAILS: per credential `8A L typealgo digits properties id` (APDU.md). */
export const listDetails = () => apdu(0x80, INS.LIST_DETAILS, 0, 0);
export interface Detailed extends Listed { digits: number; touch: boolean }
export function parseListDetails(data: Uint8Array): Detailed[] {
  const t = parseTlvs(data);
  if (!t) throw malformed('LIST DETAILS');
  return t.map((x) => {
    const [b, digits, props] = x.value, kind = b === undefined ? null : readType(b);
    if (x.tag !== DETAIL_TAG || x.value.length < 4 || !kind) throw malformed('LIST DETAILS');
    return {
      id: text(x.value.subarray(3)), type: kind.type === 'TOTP' ? 'totp' : 'hotp', algorithm: kind.algorithm,
      digits: digits!, touch: (props! & PROPERTY_TOUCH) !== 0,
    };
  });
}
