// Inline identity policies: Put/Get/List/Delete{User,Role}Policy, and what the managed-policy
// actions share with them: finding the user or role a request names, and documents on the wire.
import { AwsError, noSuchRole, noSuchUser } from './errors.js';
import type { Ctx, Handler } from './context.js';
import { checkIdentityPolicy, INLINE_POLICIES_MAX, policySize } from '../policy/grammar.js';
import { dict, type RoleRec, type State, type UserRec } from './state.js';
import { P, paging } from './validate.js';
import { el, esc, list, page, pageTail } from './xml.js';

export type Kind = 'User' | 'Role';

/**
 * Documents go out percent-encoded as RFC 3986 has it (`*` too, which encodeURIComponent keeps):
 * botocore unquotes them, the JS SDK hands the encoded text to the caller.
 */
export const encodeDocument = (doc: string) =>
  encodeURIComponent(doc).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * `UserName` or `RoleName`. Inline calls take existing user names up to 128 characters
 * (existingUserNameType); attach calls and every role name stop at 64.
 */
export const holderParam = (c: Ctx, kind: Kind, attach: boolean): string => c.p.str(`${kind}Name`,
  { required: true, min: 1, max: kind === 'User' && !attach ? 128 : 64, pattern: P.name });

export function findHolder(s: State, kind: Kind, name: string): UserRec | RoleRec {
  const h = kind === 'User' ? s.users[name] : s.roles[name];
  if (!h) throw kind === 'User' ? noSuchUser(name) : noSuchRole(name);
  return h;
}

export const policyNameParam = (c: Ctx) => c.p.str('PolicyName', { required: true, min: 1, max: 128,
  pattern: P.name });
export const documentParam = (c: Ctx) => c.p.str('PolicyDocument', { required: true, min: 1, max: 131072,
  pattern: P.policy });

function inline(kind: Kind): Record<string, Handler> {
  const who = kind.toLowerCase();
  const missing = (name: string) =>
    new AwsError('NoSuchEntity', `The ${who} policy with name ${name} cannot be found.`);

  const Put: Handler = (c) => {
    const name = holderParam(c, kind, false), policy = policyNameParam(c), doc = documentParam(c);
    c.p.done();
    const h = findHolder(c.state, kind, name);
    // The quota first: it bounds the document before anything parses it.
    let total = policySize(doc);
    for (const [k, d] of Object.entries(h.inline ?? {})) if (k !== policy) total += policySize(d);
    if (total > INLINE_POLICIES_MAX[kind]) throw new AwsError('LimitExceeded',
      `Maximum policy size of ${INLINE_POLICIES_MAX[kind]} bytes exceeded for ${who} ${name}`);
    checkIdentityPolicy(doc, 'inline');
    (h.inline ??= dict())[policy] = doc;
    c.changed = true;
    return null;
  };

  const Get: Handler = (c) => {
    const name = holderParam(c, kind, false), policy = policyNameParam(c);
    c.p.done();
    const h = findHolder(c.state, kind, name);
    const doc = h.inline?.[policy];
    if (doc === undefined) throw missing(policy);
    return el(`${kind}Name`, h.name) + el('PolicyName', policy) + el('PolicyDocument', encodeDocument(doc));
  };

  const List: Handler = (c) => {
    const name = holderParam(c, kind, false);
    const { marker, maxItems } = paging(c.p);
    c.p.done();
    const h = findHolder(c.state, kind, name);
    const pg = page(Object.keys(h.inline ?? {}), (n) => n, marker, maxItems);
    return list('PolicyNames', pg.items.map(esc)) + pageTail(pg);
  };

  const Delete: Handler = (c) => {
    const name = holderParam(c, kind, false), policy = policyNameParam(c);
    c.p.done();
    const h = findHolder(c.state, kind, name);
    if (h.inline?.[policy] === undefined) throw missing(policy);
    delete h.inline[policy];
    if (Object.keys(h.inline).length === 0) delete h.inline;
    c.changed = true;
    return null;
  };

  return { [`Put${kind}Policy`]: Put, [`Get${kind}Policy`]: Get, [`List${kind}Policies`]: List,
    [`Delete${kind}Policy`]: Delete };
}

export const IAM_INLINE: Record<string, Handler> = { ...inline('User'), ...inline('Role') };
