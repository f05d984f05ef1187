// Google Authenticator's export, `otpauth-migration://offline?data=<base64 of a protobuf MigrationPayload>`:
//   MigrationPayload { repeated OtpParameters otp_parameters = 1; int32 version = 2; int32 batch_size = 3;
//                      int32 batch_index = 4; int32 batch_id = 5 }
//   OtpParameters    { bytes secret = 1; string name = 2; string issuer = 3; Algorithm algorithm = 4;
//                      DigitCount digits = 5; OtpType type = 6; int64 counter = 7 }
// (the schema Aegis and every other importer use). There is no period field: 30 s.
import type { Algorithm } from '../core/index.js';
import type { Enrollment } from './enrollment.js';
import { HostError } from './errors.js';

/** One QR code's worth, and then some: a version 40 code holds 2953 bytes, 4296 characters. */
export const MAX_DATA = 8192;
/** The URI, %-escapes included. */
export const MAX_MIGRATION_URI = 3 * MAX_DATA;

/** Where an export's part sits in its batch: `index` counts from 0, as the payload does. */
export interface Part { index: number; size: number; id: number; version: number }

export interface Migration { enrollments: Enrollment[]; warnings: string[]; part: Part }

const bad = (why: string): never => {
  throw new HostError('E_MIGRATION', `invalid Google Authenticator export: ${why}`);
};

// --- protobuf wire format: varints and length-delimited fields, nothing else this schema uses ---

const WIRE = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;
type Field = { no: number; wire: 0; value: number } | { no: number; wire: 1 | 2 | 5; value: Uint8Array };

/** A varint of at most 10 bytes whose value is below 2^53, so exact as a number (every one this schema needs). */
function varint(b: Uint8Array, at: number): [value: number, next: number] {
  let v = 0, scale = 1;
  for (let i = 0; i < 10; i++) {
    if (at + i >= b.length) bad('it ends inside a number');
    const byte = b[at + i]!;
    v += (byte & 0x7f) * scale;
    if (v > Number.MAX_SAFE_INTEGER) bad('a number is 2^53 or over (or negative)');
    if (!(byte & 0x80)) return [v, at + i + 1];
    scale *= 128;
  }
  return bad('a number runs past 10 bytes');
}

/** Every field of one message, in order. Wire types 3 and 4 (groups) and 6, 7 (none) are refused. */
function fields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  for (let at = 0; at < b.length;) {
    const [key, next] = varint(b, at);
    const no = Math.floor(key / 8), wire = key % 8;
    if (no === 0) bad('a field is numbered 0');
    at = next;
    if (wire === WIRE.VARINT) {
      const [value, n] = varint(b, at);
      out.push({ no, wire, value }); at = n;
    } else if (wire === WIRE.LEN || wire === WIRE.I64 || wire === WIRE.I32) {
      let len = wire === WIRE.I64 ? 8 : 4;
      if (wire === WIRE.LEN) [len, at] = varint(b, at);
      if (len > b.length - at) bad(`field ${no} runs past the end`);
      out.push({ no, wire, value: b.subarray(at, at + len) }); at += len;
    } else bad(`field ${no} has wire type ${wire}, which this format never uses`);
  }
  return out;
}

const wrong = (no: number, what: string) => bad(`field ${no} of ${what} has the wrong wire type`);
const num = (f: Field, what: string): number => (f.wire === WIRE.VARINT ? f.value : wrong(f.no, what));
const bytes = (f: Field, what: string): Uint8Array => (f.wire === WIRE.LEN ? f.value : wrong(f.no, what));
const utf8 = new TextDecoder('utf-8', { fatal: true });
function str(f: Field, what: string): string {
  try { return utf8.decode(bytes(f, what)); } catch (e) {
    if (e instanceof HostError) throw e;
    return bad(`field ${f.no} of ${what} is not UTF-8`);
  }
}

// Maps, not objects: the numbers come off the wire.
const ALGORITHMS = new Map<number, Algorithm | 'MD5'>([
  [0, 'SHA1'], [1, 'SHA1'], [2, 'SHA256'], [3, 'SHA512'], [4, 'MD5'],
]);
const DIGITS = new Map<number, number>([[0, 6], [1, 6], [2, 8]]);
const TYPES = new Map<number, 'hotp' | 'totp'>([[1, 'hotp'], [2, 'totp']]);

interface Raw {
  secret: Uint8Array; name: string; issuer: string; algorithm: number; digits: number; type: number; counter: number;
}

function otpParameters(b: Uint8Array, n: number): Raw {
  const what = `credential ${n}`;
  // proto3: an absent field is its zero value; a repeated scalar field's last value wins.
  const r: Raw = { secret: new Uint8Array(0), name: '', issuer: '', algorithm: 0, digits: 0, type: 0, counter: 0 };
  for (const f of fields(b)) {
    switch (f.no) {
      case 1: r.secret = bytes(f, what); break;
      case 2: r.name = str(f, what); break;
      case 3: r.issuer = str(f, what); break;
      case 4: r.algorithm = num(f, what); break;
      case 5: r.digits = num(f, what); break;
      case 6: r.type = num(f, what); break;
      case 7: r.counter = num(f, what); break;
      default: // a field from a newer schema: skipped, as protobuf readers do
    }
  }
  return r;
}

/** `[issuer:]name` for messages: both are labels, never secret. */
const named = (issuer: string | undefined, account: string) => `'${issuer ? `${issuer}:` : ''}${account}'`;

function enrollment(r: Raw, n: number, warnings: string[]): Enrollment {
  // Google Authenticator writes the name as an otpauth label, `Issuer:account`, and the issuer again beside it.
  const colon = r.name.indexOf(':');
  const labelIssuer = colon >= 0 ? r.name.slice(0, colon).trim() || undefined : undefined;
  const account = (colon >= 0 ? r.name.slice(colon + 1) : r.name).trim();
  let issuer = r.issuer.trim() || undefined;
  const who = `credential ${n} (${named(issuer ?? labelIssuer, account || '(no name)')})`;
  if (!account) bad(`${who} has no name`);
  if (issuer !== undefined && labelIssuer !== undefined && issuer !== labelIssuer) {
    warnings.push(`${who}: its name's issuer '${labelIssuer}' differs from its issuer '${issuer}'; using '${issuer}'`);
  }
  issuer ??= labelIssuer;
  const refuse = (why: string): never => { throw new HostError('E_UNSUPPORTED', `${who}: ${why}`); };
  const algorithm = ALGORITHMS.get(r.algorithm)
    ?? refuse(`unknown algorithm ${r.algorithm} (1 SHA1, 2 SHA256, 3 SHA512)`);
  if (algorithm === 'MD5') refuse('MD5 is not an OATH algorithm (the token does SHA1, SHA256 and SHA512)');
  const digits = DIGITS.get(r.digits) ?? refuse(`unknown digit count ${r.digits} (1 six, 2 eight)`);
  const type = TYPES.get(r.type)
    ?? refuse(`unknown type ${r.type} (1 HOTP, 2 TOTP); guessing would enroll wrong codes`);
  if (r.secret.length === 0) bad(`${who} has no secret`);
  return {
    account, ...(issuer !== undefined ? { issuer } : {}), secret: Uint8Array.from(r.secret), type,
    algorithm: algorithm as Algorithm, digits, period: 30, counter: type === 'hotp' ? r.counter : 0,
  };
}

/** A MigrationPayload's bytes. */
export function decodePayload(b: Uint8Array): Migration {
  if (b.length > MAX_DATA) bad(`its payload is over ${MAX_DATA} bytes`);
  const raws: Uint8Array[] = [];
  const part: Part = { index: 0, size: 1, id: 0, version: 0 };
  for (const f of fields(b)) {
    switch (f.no) {
      case 1: raws.push(bytes(f, 'the payload')); break;
      case 2: part.version = num(f, 'the payload'); break;
      case 3: part.size = num(f, 'the payload'); break;
      case 4: part.index = num(f, 'the payload'); break;
      case 5: part.id = num(f, 'the payload'); break;
      default:
    }
  }
  // Google Authenticator writes batch_size 1 (or leaves it 0) for a single code.
  if (part.size === 0) part.size = 1;
  if (part.index >= part.size) bad(`it says it is part ${part.index + 1} of ${part.size}`);
  const warnings: string[] = [];
  const enrollments = raws.map((r, i) => enrollment(otpParameters(r, i + 1), i + 1, warnings));
  return { enrollments, warnings, part };
}

/**
 * `otpauth-migration://offline?data=...`. The data is base64, as exports carry it: raw `+` and `/`
 * (a form decoder would turn that `+` into a space), %-escaped, or the URL-safe alphabet.
 */
export function parseMigrationUri(uri: string): Migration {
  if (uri.length > MAX_MIGRATION_URI) bad(`it is longer than ${MAX_MIGRATION_URI} characters`);
  const m = /^otpauth-migration:\/\/offline\/?\?([^#]*)(?:#.*)?$/is.exec(uri.trim());
  if (!m) return bad('it must look like otpauth-migration://offline?data=BASE64');
  let data: string | undefined;
  for (const kv of m[1]!.split('&')) {
    const eq = kv.indexOf('=');
    if ((eq < 0 ? kv : kv.slice(0, eq)).toLowerCase() !== 'data') continue;
    if (data !== undefined) bad('data= appears twice');
    data = kv.slice(eq + 1);
  }
  if (!data) return bad('data= is missing or empty');
  let text: string;
  try { text = decodeURIComponent(data); } catch { return bad('data= has a broken %-escape'); }
  // A space is a `+` some form decoder already turned into one.
  const b64 = text.replace(/ /g, '+').replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(b64) || b64.length % 4 === 1) bad('data= is not base64');
  return decodePayload(new Uint8Array(Buffer.from(b64, 'base64')));
}

/** Looks like an export (cheap, for sniffing bytes and QR text). */
export const isMigrationUri = (s: string): boolean => /^\s*otpauth-migration:/i.test(s);
