// The wire's framing: ISO 7816-4 command APDUs (short and extended length), the status words this
// card answers, and BER-TLV as YKOATH uses it (one-byte tags, lengths 00–7F, 81 xx or 82 xx xx).

/** Status words, named by what they tell the host (YKOATH meanings per the Yubico SDK and ykneo-oath). */
export const SW = {
  OK: 0x9000,
  /** 61xx: more data; fetch it with SEND REMAINING (00 A5). */
  MORE: 0x6100,
  /** 63Cx: verification failed, x tries left before the device wipes itself. */
  TRIES_LEFT: 0x63c0,
  WRONG_LENGTH: 0x6700,
  /** Auth required: locked by an access code, or a touch that never came. */
  AUTH_REQUIRED: 0x6982,
  /** No such object (unknown credential id), or a wrong VALIDATE response. */
  NO_SUCH_OBJECT: 0x6984,
  /** Conditions of use not satisfied: backwards SET TIME, a step at or below high water. */
  CONDITIONS: 0x6985,
  WRONG_DATA: 0x6a80,
  /** SELECT of an application this card does not have. */
  NOT_FOUND: 0x6a82,
  NO_SPACE: 0x6a84,
  WRONG_P1P2: 0x6b00,
  UNKNOWN_INS: 0x6d00,
  UNKNOWN_CLA: 0x6e00,
  /** No precise diagnosis: a failed self-test, or a store that cannot be read. */
  FAILED: 0x6f00,
} as const;

/** Largest command data this card accepts, chained or extended (a PUT is < 200 bytes). */
export const MAX_DATA = 4096;

export interface Command {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
}

/** A parse failure is answered with its status word, never thrown at the host. */
export class SwError extends Error {
  constructor(readonly sw: number) { super(`SW ${sw.toString(16).padStart(4, '0')}`); }
}

/**
 * Cases 1–4, short or extended. ykman always sends Lc, even `00` with no data
 * (LIST is `00 A1 00 00 00`), so a 5-byte APDU is read as "no data", as a YubiKey does.
 */
export function parseCommand(a: Uint8Array): Command {
  if (!(a instanceof Uint8Array) || a.length < 4) throw new SwError(SW.WRONG_LENGTH);
  const [cla, ins, p1, p2] = [a[0]!, a[1]!, a[2]!, a[3]!];
  const head = { cla, ins, p1, p2 };
  if (a.length <= 5) return { ...head, data: new Uint8Array(0) };
  if (a[4] === 0 && a.length >= 7) {
    // Extended: 00 Lc1 Lc2 data [Le1 Le2], or 00 Le1 Le2 alone (case 2E).
    if (a.length === 7) return { ...head, data: new Uint8Array(0) };
    const lc = (a[5]! << 8) | a[6]!;
    if (lc === 0 || (a.length !== 7 + lc && a.length !== 9 + lc)) throw new SwError(SW.WRONG_LENGTH);
    if (lc > MAX_DATA) throw new SwError(SW.WRONG_LENGTH);
    return { ...head, data: a.slice(7, 7 + lc) };
  }
  const lc = a[4]!;
  if (lc === 0 || (a.length !== 5 + lc && a.length !== 6 + lc)) throw new SwError(SW.WRONG_LENGTH);
  return { ...head, data: a.slice(5, 5 + lc) };
}

/** Response APDU: data ‖ SW1 SW2. */
export function reply(data: Uint8Array | number[], sw: number = SW.OK): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = (sw >>> 8) & 0xff;
  out[data.length + 1] = sw & 0xff;
  return out;
}

export const status = (sw: number): Uint8Array => reply([], sw);

export function swOf(response: Uint8Array): number {
  const n = response.length;
  return n < 2 ? -1 : (response[n - 2]! << 8) | response[n - 1]!;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// BER-TLV

export interface Tlv { tag: number; value: Uint8Array }

/**
 * Splits data into TLVs. PROPERTY (78) is the trap: ykman sends it as a tag and one
 * property byte with no length, so reading a length there would swallow a following `7A 04`.
 */
export function parseTlvs(data: Uint8Array, bareTags: readonly number[] = []): Tlv[] {
  const out: Tlv[] = [];
  let i = 0;
  while (i < data.length) {
    const tag = data[i++]!;
    if (bareTags.includes(tag)) {
      if (i >= data.length) throw new SwError(SW.WRONG_DATA);
      out.push({ tag, value: data.subarray(i, i + 1) });
      i += 1;
      continue;
    }
    if (i >= data.length) throw new SwError(SW.WRONG_DATA);
    let len = data[i++]!;
    if (len === 0x81) {
      if (i + 1 > data.length) throw new SwError(SW.WRONG_DATA);
      len = data[i++]!;
    } else if (len === 0x82) {
      if (i + 2 > data.length) throw new SwError(SW.WRONG_DATA);
      len = (data[i]! << 8) | data[i + 1]!;
      i += 2;
    } else if (len > 0x7f) throw new SwError(SW.WRONG_DATA);
    if (i + len > data.length) throw new SwError(SW.WRONG_DATA);
    out.push({ tag, value: data.subarray(i, i + len) });
    i += len;
  }
  return out;
}

/** The value of the next TLV if it has this tag, else a 6A80. */
export function take(items: Tlv[], at: number, tag: number): Uint8Array {
  const t = items[at];
  if (!t || t.tag !== tag) throw new SwError(SW.WRONG_DATA);
  return t.value;
}

export function tlv(tag: number, value: Uint8Array | number[]): Uint8Array {
  const n = value.length;
  const head = n < 0x80 ? [tag, n] : n < 0x100 ? [tag, 0x81, n] : [tag, 0x82, n >>> 8, n & 0xff];
  const out = new Uint8Array(head.length + n);
  out.set(head);
  out.set(value, head.length);
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** 8-byte big-endian unsigned, for steps and Unix milliseconds (exact below 2^53). */
export function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  const hi = Math.floor(n / 0x100000000), lo = n >>> 0;
  new DataView(out.buffer).setUint32(0, hi);
  new DataView(out.buffer).setUint32(4, lo);
  return out;
}

/** Reads an 8-byte BE value; null when it is not exactly 8 bytes or not below 2^53. */
export function readU64(b: Uint8Array): number | null {
  if (b.length !== 8) return null;
  const v = new DataView(b.buffer, b.byteOffset, 8);
  const hi = v.getUint32(0), lo = v.getUint32(4);
  if (hi >= 0x200000) return null;
  return hi * 0x100000000 + lo;
}
