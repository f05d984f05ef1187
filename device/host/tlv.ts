// BER-TLV as YKOATH uses it: one-byte tags, lengths < 0x80 in one byte, else 81 xx / 82 xx xx.

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
