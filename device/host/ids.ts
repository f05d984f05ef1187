// Credential ids as the host makes and picks them: `[period/][issuer:]name`, the period only when
// not 30 (the grammar and ykman's matching are firmware/ykoath.ts's).
import { MAX_ID, matching } from '../firmware/ykoath.js';
import { HostError } from './errors.js';

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
