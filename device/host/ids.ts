// Credential ids as YKOATH stores them: `[period/][issuer:]name`, the period only when not 30.
import { HostError } from './errors.js';

export const MAX_ID = 64;

export function formatId(c: { account: string; issuer?: string; type: 'totp' | 'hotp'; period: number }): string {
  const id = (c.type === 'totp' && c.period !== 30 ? `${c.period}/` : '') + (c.issuer ? `${c.issuer}:` : '') + c.account;
  const n = Buffer.byteLength(id, 'utf8');
  if (n > MAX_ID) throw new HostError('E_ID_TOO_LONG', `the name '${id}' is ${n} bytes; the device holds at most ${MAX_ID} (shorten it with --name or --issuer)`);
  return id;
}

export interface ParsedId { name: string; issuer?: string; period: number }
/** ykman's _parse_cred_id: TOTP by regex, HOTP split at the first ':' with no period. */
export function parseId(id: string, type: 'totp' | 'hotp'): ParsedId {
  if (type === 'totp') {
    const m = /^((\d+)\/)?(([^:]+):)?(.+)$/s.exec(id);
    if (m) return { name: m[5]!, ...(m[4] ? { issuer: m[4] } : {}), period: m[2] ? Number(m[2]) : 30 };
    return { name: id, period: 30 };
  }
  const i = id.indexOf(':');
  return i > 0 ? { name: id.slice(i + 1), issuer: id.slice(0, i), period: 0 } : { name: id, period: 0 };
}

/** ykman's matching: an exact id wins, else a case-insensitive substring. */
export function matches(ids: readonly string[], query: string | undefined): string[] {
  if (query === undefined || query === '') return [...ids];
  if (ids.includes(query)) return [query];
  const q = query.toLowerCase();
  return ids.filter((id) => id.toLowerCase().includes(q));
}

/** Exactly one match, or an error that lists the candidates. */
export function matchOne(ids: readonly string[], query: string): string {
  const m = matches(ids, query);
  if (m.length === 1) return m[0]!;
  if (m.length === 0) {
    throw new HostError('E_NO_MATCH', `no credential matches '${query}'` + (ids.length ? ` (have: ${ids.join(', ')})` : ' (the token is empty)'));
  }
  throw new HostError('E_AMBIGUOUS', `'${query}' matches ${m.length} credentials: ${m.join(', ')}; make the query more specific`);
}
