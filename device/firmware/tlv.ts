// BER-TLV as YKOATH uses it: one-byte tags, lengths 00–7F, 81 xx or 82 xx xx.
import { SW, SwError } from './apdu.js';

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
