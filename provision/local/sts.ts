// STS: who am I, session tokens, and AssumeRole with MFA and trust-policy evaluation.
import { AwsError, MFA_INVALID, MFA_UNVALIDATED, notAuthorized } from './errors.js';
import { assumedRoleArn, callerArn, callerUser, type Ctx, type Handler } from './context.js';
import { checkCode } from './mfa.js';
import { allows, type Context } from './policy.js';
import { newId, newSecret, newSessionToken, roleArn, userArn, type SessionRec } from './state.js';
import { P } from './validate.js';
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
  const s: SessionRec = { id: newId('ASIA'), secret: newSecret(), token: newSessionToken(), expires: Math.floor(c.now) + seconds, ...rec };
  c.state.sessions[s.id] = s;
  c.changed = true;
  return s;
}

const credentialsXml = (s: SessionRec) => `<Credentials>${el('AccessKeyId', s.id)}${el('SecretAccessKey', s.secret)}` +
  `${el('SessionToken', s.token)}${el('Expiration', iso(s.expires))}</Credentials>`;

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
  if (c.caller.kind !== 'user') throw new AwsError('AccessDenied', 'Cannot call GetSessionToken with session credentials');
  const mfaAt = verifyMfa(c, serial, code);
  const s = issue(c, { kind: 'session', user: c.caller.user.name, ...(mfaAt !== undefined ? { mfaAt } : {}) }, seconds);
  return credentialsXml(s);
};

/** Request context keys (lower case). MultiFactorAuth* exist only for temporary credentials or a code in this request. */
function context(c: Ctx, mfaAt: number | undefined, extra: Context): Context {
  const k = c.caller;
  const ctx: Context = { 'aws:principalaccount': c.state.accountId, ...extra };
  if (k.kind === 'role') {
    ctx['aws:principalarn'] = roleArn(c.state, k.role);
    ctx['aws:userid'] = `${k.role.id}:${k.session.sessionName}`;
  } else {
    ctx['aws:principalarn'] = userArn(c.state, k.user);
    ctx['aws:username'] = k.user.name;
    ctx['aws:userid'] = k.user.id;
  }
  const at = mfaAt ?? (k.kind === 'user' ? undefined : k.session.mfaAt);
  if (at !== undefined) {
    ctx['aws:multifactorauthpresent'] = 'true';
    ctx['aws:multifactorauthage'] = String(Math.max(0, Math.floor(c.totpNow - at)));
  } else if (k.kind !== 'user') ctx['aws:multifactorauthpresent'] = 'false';
  return ctx;
}

const AssumeRole: Handler = (c) => {
  const arn = c.p.str('RoleArn', { required: true, min: 20, max: 2048 });
  const name = c.p.str('RoleSessionName', { required: true, min: 2, max: 64, pattern: P.sessionName });
  const seconds = c.p.int('DurationSeconds', { min: 900, max: 43200 });
  const externalId = c.p.str('ExternalId', { min: 2, max: 1224, pattern: P.externalId });
  const sourceIdentity = c.p.str('SourceIdentity', { min: 2, max: 64, pattern: P.sessionName });
  c.p.str('Policy', { min: 1, pattern: P.policy });
  const { serial, code } = mfaInput(c);
  c.p.done();

  const who = callerArn(c.state, c.caller);
  // An unknown role gets the same denial as a forbidden one: AWS does not say which.
  const role = Object.values(c.state.roles).find((r) => roleArn(c.state, r) === arn);
  if (!role) throw notAuthorized(who, 'sts:AssumeRole', arn);
  const mfaAt = verifyMfa(c, serial, code);
  const k = c.caller;
  const callers = k.kind === 'role' ? [who, roleArn(c.state, k.role)] : [who];
  const extra: Context = { 'sts:rolesessionname': name };
  if (externalId !== undefined) extra['sts:externalid'] = externalId;
  if (sourceIdentity !== undefined) extra['sts:sourceidentity'] = sourceIdentity;
  if (!allows(role.policy, { action: 'sts:AssumeRole', callers, account: c.state.accountId, ctx: context(c, mfaAt, extra) })) {
    throw notAuthorized(who, 'sts:AssumeRole', arn);
  }
  if (k.kind === 'role' && seconds !== undefined && seconds > CHAIN_MAX) {
    throw new AwsError('ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  }
  if (seconds !== undefined && seconds > role.maxSession) {
    throw new AwsError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  }
  const inherited = mfaAt ?? (k.kind === 'user' ? undefined : k.session.mfaAt);
  const user = callerUser(k)?.name ?? (k.kind === 'role' ? k.session.user : undefined);
  const s = issue(c, {
    kind: 'role', role: role.name, sessionName: name,
    ...(user !== undefined ? { user } : {}), ...(inherited !== undefined ? { mfaAt: inherited } : {}),
  }, seconds ?? Math.min(3600, role.maxSession));
  return credentialsXml(s) +
    `<AssumedRoleUser>${el('AssumedRoleId', `${role.id}:${name}`)}${el('Arn', assumedRoleArn(c.state, role.name, name))}</AssumedRoleUser>` +
    el('SourceIdentity', sourceIdentity);
};

export const STS: Record<string, Handler> = { GetCallerIdentity, GetSessionToken, AssumeRole };
