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

// otplib v13 caps at 2048 as well; a QR code of version 40 holds at most 4296 characters.
export const MAX_URI = 4096;

const bad = (why: string): never => { throw new OtpError('E_URI', `invalid otpauth URI: ${why}`); };

function decode(s: string, what: string): string {
  try { return decodeURIComponent(s.replace(/\+/g, '%20')); } catch { return bad(`${what} has a broken %-escape`); }
}

function intParam(v: string, name: string): number {
  if (!/^[0-9]{1,15}$/.test(v)) bad(`${name}=${v.slice(0, 20)} is not a whole number`);
  return Number(v);
}

export function parseKeyUri(uri: string): ParsedKeyUri {
  if (typeof uri !== 'string') bad('not text');
  if (uri.length > MAX_URI) bad(`longer than ${MAX_URI} characters`);
  const m = /^otpauth:\/\/([A-Za-z]+)\/([^?#]*)(?:\?([^#]*))?(?:#.*)?$/.exec(uri.trim());
  if (!m) {
    if (/^otpauth-migration:/i.test(uri)) bad('this is a Google Authenticator export (otpauth-migration://), not a single key');
    return bad("it must look like otpauth://totp/LABEL?secret=BASE32");
  }
  const type = m[1]!.toLowerCase() as 'totp' | 'hotp';
  if (type !== 'totp' && type !== 'hotp') bad(`type '${m[1]}' is not totp or hotp`);
  const warnings: string[] = [];
  const label = decode(m[2]!, 'the label');
  if (/[\u0000-\u001f\u007f]/.test(label)) bad('the label holds control characters');
  const colon = label.indexOf(':');
  let labelIssuer = colon >= 0 ? label.slice(0, colon).trim() : undefined;
  const account = (colon >= 0 ? label.slice(colon + 1) : label).trim();
  if (labelIssuer === '') labelIssuer = undefined;
  const p = new Map<string, string>();
  for (const kv of (m[3] ?? '').split('&')) {
    if (!kv) continue;
    const eq = kv.indexOf('=');
    const k = decode(eq < 0 ? kv : kv.slice(0, eq), 'a parameter name').toLowerCase();
    const v = eq < 0 ? '' : decode(kv.slice(eq + 1), `parameter ${k}`);
    if (p.has(k)) bad(`parameter '${k}' appears twice`);
    p.set(k, v);
  }
  const s = p.get('secret');
  if (s === undefined || s.trim() === '') bad('secret= is missing');
  let secret: Uint8Array;
  try { secret = base32Decode(s!); } catch (e) { return bad(`secret: ${(e as Error).message}`); }
  if (secret.length < 1) bad('secret is empty');
  let issuer = p.get('issuer')?.trim() || undefined;
  if (issuer !== undefined && labelIssuer !== undefined && issuer !== labelIssuer) {
    warnings.push(`label issuer '${labelIssuer}' differs from issuer parameter '${issuer}'; using '${issuer}'`);
  }
  issuer ??= labelIssuer;
  const wrap = <T>(f: () => T): T => { try { return f(); } catch (e) { return bad((e as Error).message); } };
  const algorithm = p.has('algorithm') ? wrap(() => algorithmOf(p.get('algorithm')!)) : 'SHA1';
  const digits = p.has('digits') ? wrap(() => checkDigits(intParam(p.get('digits')!, 'digits'))) : 6;
  const period = p.has('period') ? wrap(() => checkPeriod(intParam(p.get('period')!, 'period'))) : 30;
  if (type === 'hotp' && !p.has('counter')) bad('counter= is required for hotp');
  const counter = p.has('counter') ? wrap(() => checkCounter(intParam(p.get('counter')!, 'counter'))) : 0;
  if (!account) bad('the label has no account name');
  return { type, account, issuer, secret: secret!, algorithm, digits, period, counter, warnings };
}

const esc = (s: string) => encodeURIComponent(s);

export function formatKeyUri(k: Omit<KeyUri, 'algorithm' | 'digits' | 'period' | 'counter'> & Partial<KeyUri>): string {
  const label = (k.issuer ? esc(k.issuer) + ':' : '') + esc(k.account);
  let q = `secret=${base32Encode(k.secret)}`;
  if (k.issuer) q += `&issuer=${esc(k.issuer)}`;
  if (k.algorithm && k.algorithm !== 'SHA1') q += `&algorithm=${k.algorithm}`;
  if (k.digits && k.digits !== 6) q += `&digits=${k.digits}`;
  if (k.type === 'hotp') q += `&counter=${k.counter ?? 0}`;
  else if (k.period && k.period !== 30) q += `&period=${k.period}`;
  return `otpauth://${k.type}/${label}?${q}`;
}
