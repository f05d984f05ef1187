// STS: who am I, session tokens, and AssumeRole with MFA, trust-policy evaluation, session tags and source identity.
import { AwsError, MFA_INVALID, MFA_UNVALIDATED, notAuthorized } from './errors.js';
import { assumedRoleArn, callerArn, callerUser, type Caller, type Ctx, type Handler } from './context.js';
import { checkCode } from './mfa.js';
import { callerPolicies, denied, requestContext } from './authz.js';
import { evaluate, trustDecision } from '../policy/engine.js';
import { newId, newSecret, newSessionToken, roleArn, userArn, type SessionRec } from './state.js';
import { P, type Tag } from './validate.js';
import { el, iso } from './xml.js';

/** Role chaining is capped at one hour (AssumeRole API reference). */
const CHAIN_MAX = 3600;

function mfaInput(c: Ctx) {
  return {
    serial: c.p.str('SerialNumber', { min: 9, max: 256, pattern: P.stsSerial }),
    code: c.p.str('TokenCode', { min: 6, max: 6, pattern: P.tokenCode }),
  };
}

/**
 * Verifies SerialNumber + TokenCode for the caller; returns the TOTP-clock time of the
 * authentication, or undefined when no MFA was offered. A serial that is not the caller's
 * user's assigned device cannot be validated; a wrong or spent code is invalid.
 */
function verifyMfa(c: Ctx, serial: string | undefined, code: string | undefined): number | undefined {
  if (serial === undefined && code === undefined) return undefined;
  const u = callerUser(c.caller);
  const d = serial !== undefined ? c.state.mfa[serial] : undefined;
  if (!u || !d || d.user !== u.name || code === undefined) throw new AwsError('AccessDenied', MFA_UNVALIDATED);
  const ok = checkCode(d, code, c.totpNow, c.resyncWindow);
  c.changed ||= ok;
  if (!ok) throw new AwsError('AccessDenied', MFA_INVALID);
  return c.totpNow;
}

function issue(c: Ctx, rec: Omit<SessionRec, 'id' | 'secret' | 'token' | 'expires'>, seconds: number): SessionRec {
  // Forget sessions a day past their expiry; until then they answer ExpiredToken.
  for (const [id, s] of Object.entries(c.state.sessions)) if (s.expires < c.now - 86400) delete c.state.sessions[id];
  const s: SessionRec = { id: newId('ASIA'), secret: newSecret(), token: newSessionToken(), expires: Math.floor(c.now) +
    seconds, ...rec };
  c.state.sessions[s.id] = s;
  c.changed = true;
  return s;
}

const credentialsXml = (s: SessionRec) => `<Credentials>${el('AccessKeyId', s.id)}${el('SecretAccessKey', s.secret)}` +
  `${el('SessionToken', s.token)}${el('Expiration', iso(s.expires))}</Credentials>`;

/**
 * Model members this endpoint cannot carry out are refused by name, never dropped: a caller who
 * sends one expects it to take effect.
 */
export const UNSUPPORTED: ReadonlyMap<string, string> = new Map([
  ['Policy',
    'an inline session policy: this endpoint evaluates trust policies only, so a session policy could not narrow the ' +
    'session'],
  ['PolicyArns', 'managed session policies: this endpoint holds no managed policies'],
  ['ProvidedContexts', 'trusted identity propagation: no context provider can be verified offline'],
]);

const GetCallerIdentity: Handler = (c) => {
  c.p.done();
  const k = c.caller;
  const id = k.kind === 'role' ? `${k.role.id}:${k.session.sessionName}` : k.user.id;
  return el('UserId', id) + el('Account', c.state.accountId) + el('Arn', callerArn(c.state, k));
};

const GetSessionToken: Handler = (c) => {
  const seconds = c.p.int('DurationSeconds', { min: 900, max: 129600 }) ?? 43200;
  const { serial, code } = mfaInput(c);
  c.p.done();
  if (c.caller.kind !== 'user') throw new AwsError('AccessDenied',
    'Cannot call GetSessionToken with session credentials');
  const mfaAt = verifyMfa(c, serial, code);
  const s = issue(c, { kind: 'session', user: c.caller.user.name, ...(mfaAt !== undefined ? { mfaAt } : {}) }, seconds);
  return credentialsXml(s);
};

/** AWS's own check on RoleArn's shape, after the model's: six fields, the partition, service and resource not empty. */
const ROLE_ARN = /^arn:[^:]+:[^:]+:[^:]*:[^:]*:[^:]+$/;
const badTags = (m: string) => new AwsError('InvalidParameterValue', m);

/**
 * The new session's tags: those passed, plus the calling session's transitive ones, which a
 * request may not set again. Transitive keys must name passed tags; keys ignore case throughout.
 */
function sessionTags(tags: Tag[], transitive: string[], from: SessionRec | undefined): {
  tags: Tag[]; transitive: string[] } {
  const passed = new Set(tags.map((t) => t.Key.toLowerCase()));
  const inherited = new Set(from?.transitive ?? []);
  if (tags.some((t) => inherited.has(t.Key.toLowerCase()))) {
    throw badTags(
      "One of the specified transitive tag keys can't be set because it conflicts with a transitive tag key from the " +
      "calling session.");
  }
  if (transitive.some((k) => !passed.has(k.toLowerCase()))) throw badTags(
    'The specified transitive tag key must be included in the requested tags.');
  const carried = (from?.tags ?? []).filter((t) => inherited.has(t.Key.toLowerCase()));
  return { tags: [...tags, ...carried], transitive: [...new Set([...transitive.map((k) => k.toLowerCase()),
    ...inherited])] };
}

const AssumeRole: Handler = (c) => {
  const arn = c.p.str('RoleArn', { required: true, min: 20, max: 2048 });
  const name = c.p.str('RoleSessionName', { required: true, min: 2, max: 64, pattern: P.sessionName });
  const seconds = c.p.int('DurationSeconds', { min: 900, max: 43200 });
  const externalId = c.p.str('ExternalId', { min: 2, max: 1224, pattern: P.externalId });
  const sourceIdentity = c.p.str('SourceIdentity', { min: 2, max: 64, pattern: P.sessionName });
  const tags = c.p.tags('Tags', 'InvalidParameterValue');
  const transitive = c.p.strList('TransitiveTagKeys', { min: 1, max: 128, pattern: P.tagKey }, 50);
  const { serial, code } = mfaInput(c);
  c.p.done();
  if (!ROLE_ARN.test(arn)) throw new AwsError('ValidationError', `${arn} is invalid`);
  const k = c.caller;
  const from = k.kind === 'role' ? k.session : undefined;
  const session = sessionTags(tags, transitive, from);
  // A source identity, once set, stays for the whole role chain.
  if (sourceIdentity !== undefined && from?.sourceIdentity !== undefined && sourceIdentity !== from.sourceIdentity) {
    throw new AwsError('ValidationError',
      `SourceIdentity cannot be changed in a role chain: the calling session's is ${from.sourceIdentity}`);
  }
  const source = sourceIdentity ?? from?.sourceIdentity;

  const who = callerArn(c.state, k);
  // An unknown role gets the same denial as a forbidden one: AWS does not say which.
  const role = Object.values(c.state.roles).find((r) => roleArn(c.state, r) === arn);
  if (!role) throw notAuthorized(who, 'sts:AssumeRole', arn);
  const mfaAt = verifyMfa(c, serial, code);
  const callers = k.kind === 'role' ? [who, roleArn(c.state, k.role)] : [who];
  const extra: [string, string][] = [['sts:rolesessionname', name]];
  if (externalId !== undefined) extra.push(['sts:externalid', externalId]);
  if (sourceIdentity !== undefined) extra.push(['sts:sourceidentity', sourceIdentity]);
  for (const t of tags) extra.push([`aws:requesttag/${t.Key.toLowerCase()}`, t.Value]);
  const ctx = requestContext(c.state, k, { now: c.now, totpNow: c.totpNow, ...(mfaAt !== undefined ? { mfaAt } : {}),
    ...(c.region !== undefined ? { region: c.region } : {}) });
  for (const [key, v] of extra) ctx.set(key, v);
  // Tagging the session and setting its source identity are permissions of their own in the trust policy.
  const actions = ['sts:AssumeRole', ...(tags.length ? ['sts:TagSession'] : []),
    ...(source !== undefined ? ['sts:SetSourceIdentity'] : [])];
  const policies = c.open ? null : callerPolicies(c.state, k);
  for (const action of actions) {
    // The trust policy must allow. One naming the caller itself (or anyone, "*") is a resource policy granting
    // directly, so no identity Allow is needed; one trusting the account (its id or root) also needs the
    // caller's identity policies to allow. An identity Deny wins either way.
    const trust = (exact: boolean) =>
      trustDecision(role.policy, { action, callers, account: c.state.accountId, ctx, exact });
    const mine = policies && evaluate(policies, { action, resource: arn, ctx });
    if (mine?.decision === 'explicitDeny') throw denied(who, action, arn, mine);
    if (trust(false) !== 'allowed') throw notAuthorized(who, action, arn);
    if (mine?.decision === 'implicitDeny' && trust(true) !== 'allowed') throw denied(who, action, arn, mine);
  }
  if (k.kind === 'role' && seconds !== undefined && seconds > CHAIN_MAX) {
    throw new AwsError('ValidationError',
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  }
  if (seconds !== undefined && seconds > role.maxSession) {
    throw new AwsError('ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  }
  const inherited = mfaAt ?? (k.kind === 'user' ? undefined : k.session.mfaAt);
  const user = callerUser(k)?.name ?? (k.kind === 'role' ? k.session.user : undefined);
  const s = issue(c, {
    kind: 'role', role: role.name, sessionName: name,
    ...(user !== undefined ? { user } : {}), ...(inherited !== undefined ? { mfaAt: inherited } : {}),
    ...(session.tags.length ? { tags: session.tags } : {}),
      ...(session.transitive.length ? { transitive: session.transitive } : {}),
    ...(source !== undefined ? { sourceIdentity: source } : {}),
  }, seconds ?? Math.min(3600, role.maxSession));
  return credentialsXml(s) +
    `<AssumedRoleUser>${el('AssumedRoleId', `${role.id}:${name}`)}` +
    `${el('Arn', assumedRoleArn(c.state, role.name, name))}</AssumedRoleUser>` +
    el('SourceIdentity', source);
};

export const STS: Record<string, Handler> = { GetCallerIdentity, GetSessionToken, AssumeRole };
