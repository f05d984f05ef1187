// IAM users, access keys and roles: what the seed scenario and `provision` need around MFA.
import { AwsError, noSuchRole } from './errors.js';
import { awsManagedPolicy } from './fixture.js';
import { targetUser, type Ctx, type Handler } from './context.js';
import { parsePolicy } from '../policy/grammar.js';
import { newId, newSecret, roleArn, userArn, type RoleRec, type State, type UserRec } from './state.js';
import { P, paging, type Tag } from './validate.js';
import { el, iso, list, page, pageTail } from './xml.js';

const ACCESS_KEYS_PER_USER = 2;

export const tagsXml = (tags: Tag[]) => (tags.length ? list('Tags', tags.map((t) => el('Key', t.Key) + el('Value',
  t.Value))) : '');

/** The User shape; list calls leave out Tags, as IAM does. */
export function userXml(s: State, u: UserRec, withTags = true): string {
  return el('Path', u.path) + el('UserName', u.name) + el('UserId', u.id) + el('Arn', userArn(s, u)) +
    el('CreateDate', iso(u.created)) + (withTags ? tagsXml(u.tags) : '');
}

/** The Role shape; only GetRole carries MaxSessionDuration (CreateRole's answer has none). */
function roleXml(s: State, r: RoleRec, withMax: boolean): string {
  // AWS percent-encodes the document; botocore's json_decode_policies unquotes it.
  return el('Path', r.path) + el('RoleName', r.name) + el('RoleId', r.id) + el('Arn', roleArn(s, r)) +
    el('CreateDate', iso(r.created)) + el('AssumeRolePolicyDocument', encodeURIComponent(r.policy)) +
    el('Description', r.description) + (withMax ? el('MaxSessionDuration', r.maxSession) : '') + tagsXml(r.tags);
}

/**
 * Boundaries are not enforced here, so none is accepted: one naming no policy is IAM's NoSuchEntity,
 * one naming a policy is refused by name, since taking it would look in force while granting more than AWS.
 */
function noBoundary(c: Ctx, action: string, arn: string | undefined): void {
  if (arn === undefined) return;
  if (!c.state.policies[arn] && awsManagedPolicy(arn) === undefined) throw new AwsError('NoSuchEntity',
    `Scope ARN: ${arn} does not exist or is not attachable.`);
  throw new AwsError('UnsupportedParameter', `${action}: the local endpoint does not support PermissionsBoundary ` +
    '(it does not enforce permissions boundaries, so one would look in force while granting more). ' +
    'Leave PermissionsBoundary out.');
}

/** Whether `name` is among `names`, ignoring case: IAM names are unique regardless of case. */
export const taken = (names: string[], name: string) => names.some((n) => n.toLowerCase() === name.toLowerCase());

const CreateUser: Handler = (c) => {
  const name = c.p.str('UserName', { required: true, min: 1, max: 64, pattern: P.name });
  const path = c.p.path();
  const boundary = c.p.str('PermissionsBoundary', { min: 20, max: 2048 });
  const tags = c.p.tags();
  c.p.done();
  // IAM names are unique regardless of case.
  if (taken(Object.keys(c.state.users), name)) throw new AwsError('EntityAlreadyExists',
    `User with name ${name} already exists.`);
  noBoundary(c, 'CreateUser', boundary);
  const u: UserRec = { name, path, id: newId('AIDA'), created: c.now, tags };
  c.state.users[name] = u;
  c.changed = true;
  return `<User>${userXml(c.state, u)}</User>`;
};

const GetUser: Handler = (c) => {
  const name = c.p.str('UserName', { min: 1, max: 128, pattern: P.name });
  c.p.done();
  return `<User>${userXml(c.state, targetUser(c, name))}</User>`;
};

const ListUsers: Handler = (c) => {
  const prefix = c.p.str('PathPrefix', { min: 1, max: 512, pattern: P.pathPrefix }) ?? '/';
  const { marker, maxItems } = paging(c.p);
  c.p.done();
  const pg = page(Object.values(c.state.users).filter((u) => u.path.startsWith(prefix)), (u) => u.name, marker,
    maxItems);
  return list('Users', pg.items.map((u) => userXml(c.state, u, false))) + pageTail(pg);
};

const CreateAccessKey: Handler = (c) => {
  const name = c.p.str('UserName', { min: 1, max: 128, pattern: P.name });
  c.p.done();
  const u = targetUser(c, name);
  if (Object.values(c.state.keys).filter((k) => k.user === u.name).length >= ACCESS_KEYS_PER_USER) {
    throw new AwsError('LimitExceeded', `Cannot exceed quota for AccessKeysPerUser: ${ACCESS_KEYS_PER_USER}`);
  }
  const k = { id: newId('AKIA'), secret: newSecret(), user: u.name, status: 'Active' as const, created: c.now };
  c.state.keys[k.id] = k;
  c.changed = true;
  return `<AccessKey>${el('UserName', k.user)}${el('AccessKeyId', k.id)}${el('Status', k.status)}` +
    `${el('SecretAccessKey', k.secret)}${el('CreateDate', iso(k.created))}</AccessKey>`;
};

/** IAM refuses principals that do not exist ("Invalid principal in policy"). */
function checkPrincipals(s: State, doc: string): void {
  for (const st of parsePolicy(doc) as { Principal?: unknown }[]) {
    const p = st.Principal;
    if (p === '*' || p === undefined) continue;
    const aws = p && typeof p === 'object' ? (p as { AWS?: unknown }).AWS : undefined;
    for (const v of (Array.isArray(aws) ? aws : aws === undefined ? [] : [aws]).map(String)) {
      const m = /^arn:aws:iam::(\d{12}):(root|user\/.*|role\/.*)$/.exec(v);
      const ok = v === '*' || /^\d{12}$/.test(v) || (m !== null && (m[1] !== s.accountId || m[2] === 'root' ||
        (m[2]!.startsWith('user/') ? Object.values(s.users).some((u) => userArn(s, u) === v)
          : Object.values(s.roles).some((r) => roleArn(s, r) === v))));
      if (!ok) throw new AwsError('MalformedPolicyDocument', `Invalid principal in policy: "AWS":"${v}"`);
    }
  }
}

const CreateRole: Handler = (c) => {
  const name = c.p.str('RoleName', { required: true, min: 1, max: 64, pattern: P.name });
  const doc = c.p.str('AssumeRolePolicyDocument', { required: true, min: 1, max: 131072, pattern: P.policy });
  const path = c.p.path();
  const description = c.p.str('Description',
    { max: 1000, pattern: String.raw`[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*` });
  const maxSession = c.p.int('MaxSessionDuration', { min: 3600, max: 43200 });
  const boundary = c.p.str('PermissionsBoundary', { min: 20, max: 2048 });
  const tags = c.p.tags();
  c.p.done();
  if (taken(Object.keys(c.state.roles), name)) throw new AwsError('EntityAlreadyExists',
    `Role with name ${name} already exists.`);
  checkPrincipals(c.state, doc);
  noBoundary(c, 'CreateRole', boundary);
  const r: RoleRec = { name, path, id: newId('AROA'), created: c.now, policy: doc, maxSession: maxSession ?? 3600,
    tags };
  if (description !== undefined) r.description = description;
  c.state.roles[name] = r;
  c.changed = true;
  return `<Role>${roleXml(c.state, r, false)}</Role>`;
};

const GetRole: Handler = (c: Ctx) => {
  const name = c.p.str('RoleName', { required: true, min: 1, max: 64, pattern: P.name });
  c.p.done();
  const r = c.state.roles[name];
  if (!r) throw noSuchRole(name);
  return `<Role>${roleXml(c.state, r, true)}</Role>`;
};

export const IAM_USERS: Record<string, Handler> =
  { CreateUser, GetUser, ListUsers, CreateAccessKey, CreateRole, GetRole };
