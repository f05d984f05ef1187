import { OtpError } from './errors.js';
import { base32Decode, base32Encode } from './base32.js';
import { algorithmOf, type Algorithm } from './hmac.js';
import { checkCounter, checkDigits, checkPeriod } from './hotp.js';

/** Google's Key Uri Format: otpauth://TYPE/[ISSUER:]ACCOUNT?secret=…&issuer=…&… */
export interface KeyUri {
  type: 'totp' | 'hotp';
  account: string;
  issuer?: string;
  secret: Uint8Array;
  algorithm: Algorithm;
  digits: number;
  period: number;
  counter: number;
}
export interface ParsedKeyUri extends KeyUri { warnings: string[] }

// A version 40 QR code holds at most 4296 alphanumeric characters; nothing real is longer.
export const MAX_URI = 4096;

const bad = (why: string): never => { throw new OtpError('E_URI', `invalid otpauth URI: ${why}`); };
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** %-decoding; in the query (form encoding) '+' is a space, in the label path it is a '+'. */
function decode(s: string, what: string, form: boolean): string {
  let v: string;
  try {
    v = decodeURIComponent(form ? s.replace(/\+/g, '%20') : s);
  } catch {
    return bad(`${what} has a broken %-escape`);
  }
  if (CONTROL.test(v)) bad(`${what} holds control characters`);
  return v;
}

function intParam(v: string, name: string): number {
  if (!/^[0-9]{1,16}$/.test(v)) bad(`${name}=${v.slice(0, 20)} is not a whole number`);
  return Number(v);
}

/** A core check's own error, reworded as a URI error (callers match on E_URI). */
function checked<T>(f: () => T): T {
  try { return f(); } catch (e) { return bad((e as Error).message); }
}

export function parseKeyUri(uri: string): ParsedKeyUri {
  if (typeof uri !== 'string') bad('not text');
  if (uri.length > MAX_URI) bad(`longer than ${MAX_URI} characters`);
  const m = /^otpauth:\/\/([a-z]+)\/([^?#]*)(?:\?([^#]*))?(?:#[^]*)?$/i.exec(uri.trim());
  if (!m) {
    if (/^\s*otpauth-migration:/i.test(uri)) {
      bad('this is a Google Authenticator export (otpauth-migration://), not a single key');
    }
    return bad('it must look like otpauth://totp/ISSUER:ACCOUNT?secret=BASE32');
  }
  const type = m[1]!.toLowerCase();
  if (type !== 'totp' && type !== 'hotp') return bad(`type '${m[1]!.slice(0, 20)}' is not totp or hotp`);

  // Label: issuer ":" / "%3A" then the account, either side possibly padded with spaces.
  const label = decode(m[2]!, 'the label', false);
  const colon = label.indexOf(':');
  const labelIssuer = colon >= 0 ? label.slice(0, colon).trim() || undefined : undefined;
  const account = (colon >= 0 ? label.slice(colon + 1) : label).trim();
  if (!account) bad('the label has no account name');

  const p = new Map<string, string>();
  for (const kv of (m[3] ?? '').split('&')) {
    if (!kv) continue;
    const eq = kv.indexOf('=');
    const k = decode(eq < 0 ? kv : kv.slice(0, eq), 'a parameter name', true).toLowerCase();
    if (p.has(k)) bad(`parameter '${k.slice(0, 20)}' appears twice`);
    p.set(k, eq < 0 ? '' : decode(kv.slice(eq + 1), `parameter ${k.slice(0, 20)}`, true));
  }

  const s = p.get('secret');
  if (s === undefined || s.trim() === '') return bad('secret= is missing');
  const secret = checked(() => base32Decode(s));
  if (secret.length < 1) bad('secret is shorter than one byte');

  // Real producers disagree with themselves; the issuer parameter is the one to trust.
  const warnings: string[] = [];
  let issuer = p.get('issuer')?.trim() || undefined;
  if (issuer !== undefined && labelIssuer !== undefined && issuer !== labelIssuer) {
    warnings.push(`label issuer '${labelIssuer}' differs from issuer parameter '${issuer}'; using '${issuer}'`);
  }
  issuer ??= labelIssuer;

  const algorithm = p.has('algorithm') ? checked(() => algorithmOf(p.get('algorithm')!)) : 'SHA1';
  const digits = p.has('digits') ? checked(() => checkDigits(intParam(p.get('digits')!, 'digits'))) : 6;
  let period = 30, counter = 0;
  if (type === 'totp') {
    if (p.has('period')) period = checked(() => checkPeriod(intParam(p.get('period')!, 'period')));
  } else {
    if (!p.has('counter')) bad('counter= is required for hotp');
    counter = checked(() => checkCounter(intParam(p.get('counter')!, 'counter')));
  }
  return { type, account, issuer, secret, algorithm, digits, period, counter, warnings };
}

// The label's issuer prefix and account stay readable: '@' and ' ' (as %20) are fine there.
const esc = (s: string) => encodeURIComponent(s).replace(/%40/g, '@');

function label(what: string, v: unknown): void {
  if (typeof v !== 'string' || !v.trim()) bad(`${what} is empty`);
  const t = v as string;
  if (t.includes(':')) bad(`${what} '${t.slice(0, 40)}' holds a ':', which the label uses as separator`);
  if (CONTROL.test(t)) bad(`${what} holds control characters`);
}

/** The URI for a key, with the issuer both as label prefix and parameter (as the format asks). */
export function formatKeyUri(k: Omit<KeyUri, 'algorithm' | 'digits' | 'period' | 'counter'> & Partial<KeyUri>): string {
  if (k.type !== 'totp' && k.type !== 'hotp') bad(`type must be totp or hotp`);
  label('account', k.account);
  if (k.issuer) label('issuer', k.issuer);
  if (!(k.secret instanceof Uint8Array) || k.secret.length < 1) bad('secret is shorter than one byte');
  let q = `secret=${base32Encode(k.secret)}`;
  if (k.issuer) q += `&issuer=${esc(k.issuer)}`;
  // Defaults (SHA1, 6 digits, 30 s) are left out, as the format's own examples do.
  const algorithm = checked(() => algorithmOf(k.algorithm ?? 'SHA1'));
  const digits = checked(() => checkDigits(k.digits ?? 6)), period = checked(() => checkPeriod(k.period ?? 30));
  if (algorithm !== 'SHA1') q += `&algorithm=${algorithm}`;
  if (digits !== 6) q += `&digits=${digits}`;
  if (k.type === 'hotp') q += `&counter=${checked(() => checkCounter(k.counter ?? 0))}`;
  else if (period !== 30) q += `&period=${period}`;
  return `otpauth://${k.type}/${k.issuer ? esc(k.issuer) + ':' : ''}${esc(k.account)}?${q}`;
}
