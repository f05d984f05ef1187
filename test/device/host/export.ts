// A Google Authenticator export built from known credentials: a tiny protobuf writer (varints and
// length-delimited fields), independent of the reader under test.
export interface OtpParams {
  secret: Uint8Array; name: string; issuer?: string;
  /** 0 unspecified, 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5 */
  algorithm?: number;
  /** 0 unspecified, 1 six, 2 eight */
  digits?: number;
  /** 1 HOTP, 2 TOTP */
  type?: number;
  counter?: number;
}
export interface Payload {
  params: OtpParams[]; version?: number; batchSize?: number; batchIndex?: number; batchId?: number;
}

export function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n; // int32/int64 negatives: ten bytes of two's complement
  const out: number[] = [];
  do { let b = Number(v & 0x7fn); v >>= 7n; if (v) b |= 0x80; out.push(b); } while (v);
  return out;
}
export const key = (no: number, wire: number) => varint(no * 8 + wire);
export const num = (no: number, v: number | bigint) => [...key(no, 0), ...varint(v)];
export const len = (no: number, b: Uint8Array | number[]) => [...key(no, 2), ...varint(b.length), ...b];
const utf8 = (s: string) => [...Buffer.from(s, 'utf8')];

export function otpParams(p: OtpParams): number[] {
  return [
    ...len(1, p.secret), ...len(2, utf8(p.name)), ...(p.issuer !== undefined ? len(3, utf8(p.issuer)) : []),
    ...num(4, p.algorithm ?? 1), ...num(5, p.digits ?? 1), ...num(6, p.type ?? 2),
    ...(p.counter !== undefined ? num(7, p.counter) : []),
  ];
}

export function payload(p: Payload): Uint8Array {
  return Uint8Array.from([
    ...p.params.flatMap((o) => len(1, otpParams(o))),
    ...num(2, p.version ?? 1), ...num(3, p.batchSize ?? 1), ...num(4, p.batchIndex ?? 0), ...num(5, p.batchId ?? 0),
  ]);
}

/** The URI as Google Authenticator writes it: raw base64, `+` and `/` not escaped. */
export const exportUri = (p: Payload | Uint8Array): string =>
  `otpauth-migration://offline?data=${Buffer.from(p instanceof Uint8Array ? p : payload(p)).toString('base64')}`;
