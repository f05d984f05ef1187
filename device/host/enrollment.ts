// A credential as the host makes and picks it: what an enrollment source yields, what the device
// can honour (digits 6 to 8, period 1 to 300 s, an id of at most 64 bytes; YKOATH needs a key of at
// least 2 bytes), and its id `[period/][issuer:]name`, the period only when not 30 (the grammar and
// ykman's matching are firmware/ykoath.ts's).
import type { Algorithm } from '../core/index.js';
import { idProblem } from '../firmware/credential.js';
import { MAX_ID, matching, parseId } from '../firmware/ykoath.js';
import { HostError } from './errors.js';

export interface Enrollment {
  account: string;
  issuer?: string;
  secret: Uint8Array;
  type: 'totp' | 'hotp';
  algorithm: Algorithm;
  digits: number;
  period: number;
  counter: number;
  touch?: boolean;
}

/** RFC 4226 §4 R6 asks for 128 bits; real issuers often send 80 (10 bytes). */
export const RECOMMENDED_SECRET = 16;

/** checkEnrollment's refusal said of one credential of many: `WHO: the token cannot hold it: …`. */
export function refusedAs(err: HostError, who: string): HostError {
  return new HostError(err.code,
    `${who}: ${err.message.replace(/^the token cannot hold this credential: /, 'the token cannot hold it: ')}`, err.sw);
}

/** Throws for what the device cannot hold; returns warnings for what it holds reluctantly. */
export function checkEnrollment(e: Enrollment): { id: string; warnings: string[] } {
  const bad = (why: string): never => {
    throw new HostError('E_UNSUPPORTED', `the token cannot hold this credential: ${why}`);
  };
  if (!Number.isInteger(e.digits) || e.digits < 6 || e.digits > 8) bad(`${e.digits} digits (it shows 6 to 8)`);
  if (e.type === 'totp' && (!Number.isInteger(e.period) || e.period < 1 || e.period > 300)) {
    bad(`a ${e.period} s period (it takes 1 to 300 s)`);
  }
  if (e.type === 'hotp' && (!Number.isInteger(e.counter) || e.counter < 0 || e.counter > 0xffffffff)) {
    bad(`counter ${e.counter} (YKOATH carries 0 to 2^32-1)`);
  }
  if (e.secret.length < 2) bad(`a ${e.secret.length}-byte secret (at least 2 bytes)`);
  if (!e.account.trim()) bad('an empty name');
  if (e.issuer !== undefined && e.issuer.includes(':')) bad(`issuer '${e.issuer}' contains ':'`);
  for (const [what, v] of [['name', e.account], ['issuer', e.issuer ?? '']] as const) {
    const why = idProblem(v);
    if (why) bad(`its ${what} holds ${why}, which a terminal would act on instead of showing (remove it)`);
  }
  const id = formatId(e);
  readsBack(e, id);
  const warnings: string[] = [];
  if (e.secret.length < RECOMMENDED_SECRET) {
    warnings.push(`the secret is ${e.secret.length} bytes; ` +
      `RFC 4226 asks for at least ${RECOMMENDED_SECRET} (accepted, as issuers send such)`);
  }
  return { id, warnings };
}

/**
 * The id must read back as what went in: YKOATH has no fields, only `[period/][issuer:]name`
 * (ykman's _parse_cred_id), so `60/foo` would become a 60 s period and `a:b` issuer `a`.
 */
function readsBack(e: Enrollment, id: string): void {
  const p = parseId(id, e.type);
  const why = (what: string, fix: string): never => {
    throw new HostError('E_UNSUPPORTED',
      `the token cannot hold this credential: ${what} (its id is [period/][issuer:]name); ${fix}`);
  };
  if (e.type === 'totp' && p.period !== e.period) {
    const bad = e.issuer !== undefined && /^\d+\//.test(e.issuer) ? `issuer '${e.issuer}'` : `name '${e.account}'`;
    why(`the ${bad} starts with digits and '/', which would read back as a ${p.period} s period`,
      'drop or change that prefix');
  }
  // ykman splits an HOTP id at any ':', even a leading one, so a bare name may hold none.
  if ((!e.issuer && e.account.includes(':')) || p.name !== e.account || (p.issuer ?? '') !== (e.issuer ?? '')) {
    why(`the name '${e.account}' contains ':', so without an issuer its first part would read back as the issuer`,
      "give --issuer, or drop the ':'");
  }
}

/** The id a credential is stored under, refused when the device cannot hold it. */
export function formatId(c: { account: string; issuer?: string; type: 'totp' | 'hotp'; period: number }): string {
  const period = c.type === 'totp' && c.period !== 30 ? `${c.period}/` : '';
  const id = period + (c.issuer ? `${c.issuer}:` : '') + c.account;
  const n = Buffer.byteLength(id, 'utf8');
  if (n > MAX_ID) {
    throw new HostError('E_ID_TOO_LONG',
      `the name '${id}' is ${n} bytes; the device holds at most ${MAX_ID} (shorten it with --name or --issuer)`);
  }
  return id;
}

/** A new id for `token rename`: 1 to 64 bytes, holding nothing a terminal would act on. */
export function checkNewId(id: string): void {
  const n = Buffer.byteLength(id, 'utf8');
  if (n === 0 || n > MAX_ID) {
    throw new HostError('E_ID_TOO_LONG', `the new name is ${n} bytes; ids are 1 to ${MAX_ID} bytes`);
  }
  checkShownId(id);
}

/** A new name holds nothing a terminal would act on instead of showing. */
export function checkShownId(id: string): void {
  const why = idProblem(id);
  if (why) {
    throw new HostError('E_USAGE',
      `the new name holds ${why}, which a terminal would act on instead of showing; remove it`);
  }
}

/** ykman's matching over ids: an exact id wins, else a case-insensitive substring. */
export const matches = (ids: readonly string[], query: string | undefined): string[] =>
  matching(ids, query, (id) => id);

/** Exactly one match, or an error that lists the candidates. */
export function matchOne(ids: readonly string[], query: string): string {
  const m = matches(ids, query);
  if (m.length === 1) return m[0]!;
  if (m.length === 0) {
    const have = ids.length ? ` (have: ${ids.join(', ')})` : ' (the token is empty)';
    throw new HostError('E_NO_MATCH', `no credential matches '${query}'` + have);
  }
  throw new HostError('E_AMBIGUOUS',
    `'${query}' matches ${m.length} credentials: ${m.join(', ')}; make the query more specific`);
}
