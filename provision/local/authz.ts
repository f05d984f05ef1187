// Authorization of every request, before its handler reads or changes anything: the credential
// rules STS documents, then the caller's identity policies through the policy engine on the
// resource IAM authorizes the action against. The request parameters are read raw here, before the
// handler validates them, so a refused caller learns nothing about the request, not even which
// parameter is malformed.
import { AwsError } from './errors.js';
import { callerArn, type Caller } from './context.js';
import { awsManagedPolicy } from './fixture.js';
import { evaluate, type Context, type Evaluation, type PolicySource } from '../policy/engine.js';
import {
  identityPolicies, mfaSerial, policyArn, roleArn, userArn, type RoleRec, type State, type UserRec,
} from './state.js';
import type { Service } from './xml.js';

/** What the authorizer needs to know of a request. */
export interface AuthInput {
  state: State;
  caller: Caller;
  service: Service;
  /** The wire Action, e.g. CreateUser. */
  action: string;
  params: URLSearchParams;
  /** Real Unix seconds (aws:CurrentTime), and the TOTP clock (aws:MultiFactorAuthAge). */
  now: number;
  totpNow: number;
  /** The region the request was signed for (aws:RequestedRegion). */
  region?: string;
  sourceIp?: string;
}

/** IAM's text for session credentials it will not take: like STS's, without the final period. */
export const IAM_BAD_TOKEN = 'The security token included in the request is invalid';

/** The calls that need no permission at all (the STS API reference: "No permissions are required"). */
const FREE = new Set(['sts:GetCallerIdentity', 'sts:GetSessionToken']);

/** The policies that speak for the caller: its user's, or for a role session its role's. */
export function callerPolicies(s: State, c: Caller): PolicySource[] {
  return c.kind === 'role' ? identityPolicies(s, c.role, 'role', awsManagedPolicy)
    : identityPolicies(s, c.user, 'user', awsManagedPolicy);
}

/**
 * The request context (keys lower case). aws:MultiFactorAuthPresent exists only for temporary
 * credentials ("not present ... using long-term credentials"), and aws:MultiFactorAuthAge only
 * when they carry an MFA authentication. A role session does not carry its AssumeRole's MFA.
 */
export function requestContext(s: State, c: Caller, o: { now: number; totpNow: number; mfaAt?: number;
  region?: string; sourceIp?: string }): Context {
  const ctx: Context = new Map<string, string | string[]>([
    ['aws:currenttime', new Date(Math.floor(o.now) * 1000).toISOString().replace('.000Z', 'Z')],
    ['aws:epochtime', String(Math.floor(o.now))],
    ['aws:securetransport', 'false'],
  ]);
  if (o.region !== undefined) ctx.set('aws:requestedregion', o.region);
  if (o.sourceIp !== undefined) ctx.set('aws:sourceip', o.sourceIp);
  const keys = c.kind === 'role' ? principalKeys(s, { role: c.role, sessionName: c.session.sessionName })
    : principalKeys(s, { user: c.user });
  for (const [k, v] of keys) ctx.set(k, v);
  if (c.kind === 'role' && c.session.sourceIdentity !== undefined) {
    ctx.set('aws:sourceidentity', c.session.sourceIdentity);
  }
  for (const t of principalTags(c)) ctx.set(`aws:principaltag/${t.Key.toLowerCase()}`, t.Value);
  const at = o.mfaAt ?? (c.kind === 'user' ? undefined : c.session.mfaAt);
  if (at !== undefined) {
    ctx.set('aws:multifactorauthpresent', 'true');
    ctx.set('aws:multifactorauthage', String(Math.max(0, Math.floor(o.totpNow - at))));
  } else if (c.kind !== 'user') ctx.set('aws:multifactorauthpresent', 'false');
  if (c.kind !== 'user') ctx.set('aws:tokenissuetime', ctx.get('aws:currenttime')!);
  return ctx;
}

/**
 * Who the principal is, as policies see it: a user has a name; a role session's userid is the
 * role's id and the session name (a role simulated without a session has none).
 */
export function principalKeys(s: State, p: { user: UserRec } | { role: RoleRec; sessionName?: string }):
  [string, string][] {
  const keys: [string, string][] = [['aws:principalaccount', s.accountId]];
  if ('user' in p) {
    keys.push(['aws:principalarn', userArn(s, p.user)], ['aws:principaltype', 'User'],
      ['aws:username', p.user.name], ['aws:userid', p.user.id]);
  } else {
    keys.push(['aws:principalarn', roleArn(s, p.role)], ['aws:principaltype', 'AssumedRole']);
    if (p.sessionName !== undefined) keys.push(['aws:userid', `${p.role.id}:${p.sessionName}`]);
  }
  return keys;
}

/** The caller's principal tags: a user's IAM tags; a role's, overridden by its session's tags (keys ignore case). */
function principalTags(k: Caller) {
  if (k.kind !== 'role') return k.user.tags;
  const own = new Map(k.role.tags.map((t) => [t.Key.toLowerCase(), t]));
  for (const t of k.session.tags ?? []) own.set(t.Key.toLowerCase(), t);
  return [...own.values()];
}

type ResourceOf = (p: URLSearchParams, s: State, c: Caller) => string;

/** The target user's ARN, path included (IAM authorizes `user/PATH/NAME`); the caller's own without UserName. */
const user: ResourceOf = (p, s, c) => {
  const name = p.get('UserName') ?? (c.kind === 'role' ? null : c.user.name);
  if (name === null) return userArn(s, { path: '/', name: '' });
  const u = s.users[name];
  return userArn(s, u ?? { path: '/', name });
};
const newUser: ResourceOf = (p, s) => userArn(s, { path: p.get('Path') ?? '/', name: p.get('UserName') ?? '' });
const role: ResourceOf = (p, s) => {
  const name = p.get('RoleName') ?? '';
  const r = s.roles[name];
  return roleArn(s, r ?? { path: '/', name });
};
const newRole: ResourceOf = (p, s) => roleArn(s, { path: p.get('Path') ?? '/', name: p.get('RoleName') ?? '' });
const serial: ResourceOf = (p) => p.get('SerialNumber') ?? '*';
const policy: ResourceOf = (p) => p.get('PolicyArn') ?? '*';
const any: ResourceOf = () => '*';

/**
 * The resource each action is authorized against, as the Service Authorization Reference lists
 * them: a user's actions on the user (MFA enable, resync, deactivate and list included), a new
 * device on `mfa/PATH/NAME`, an existing one on its serial, roles and policies on theirs.
 * An action not listed is authorized on `*`: it still needs an Allow.
 */
const RESOURCE = new Map<string, ResourceOf>([
  ['CreateUser', newUser], ['GetUser', user], ['CreateAccessKey', user],
  ['ListUsers', (p, s) => userArn(s, { path: p.get('PathPrefix') ?? '/', name: '' })],
  ['CreateRole', newRole], ['GetRole', role],
  ['CreateVirtualMFADevice',
    (p, s) => mfaSerial(s.accountId, p.get('Path') ?? '/', p.get('VirtualMFADeviceName') ?? '')],
  ['EnableMFADevice', user], ['ResyncMFADevice', user], ['DeactivateMFADevice', user], ['ListMFADevices', user],
  ['GetMFADevice', user], ['DeleteVirtualMFADevice', serial], ['ListVirtualMFADevices', any],
  ['ListMFADeviceTags', serial], ['TagMFADevice', serial], ['UntagMFADevice', serial],
  ['PutUserPolicy', user], ['GetUserPolicy', user], ['ListUserPolicies', user], ['DeleteUserPolicy', user],
  ['AttachUserPolicy', user], ['DetachUserPolicy', user], ['ListAttachedUserPolicies', user],
  ['PutRolePolicy', role], ['GetRolePolicy', role], ['ListRolePolicies', role], ['DeleteRolePolicy', role],
  ['AttachRolePolicy', role], ['DetachRolePolicy', role], ['ListAttachedRolePolicies', role],
  ['CreatePolicy', (p, s) => policyArn(s.accountId, p.get('Path') ?? '/', p.get('PolicyName') ?? '')],
  ['GetPolicy', policy], ['GetPolicyVersion', policy], ['DeletePolicy', policy], ['ListPolicies', any],
  ['SimulatePrincipalPolicy', (p) => p.get('PolicySourceArn') ?? '*'], ['SimulateCustomPolicy', any],
  ['AssumeRole', (p) => p.get('RoleArn') ?? '*'],
]);

/** `iam:CreateUser` and the ARN it is authorized on. */
export function target(service: Service, action: string, p: URLSearchParams, s: State, c: Caller): {
  action: string; resource: string } {
  return { action: `${service}:${action}`, resource: (RESOURCE.get(action) ?? any)(p, s, c) };
}

/** AccessDenied as IAM words it: the resource unless it is `*`, the reason, and a managed policy's ARN on a deny. */
export function denied(who: string, action: string, resource: string, e: Evaluation): AwsError {
  const on = resource === '*' ? '' : ` on resource: ${resource}`;
  const deny = e.matched[0]?.source;
  const why = e.decision === 'explicitDeny'
    ? ` with an explicit deny in an identity-based policy${deny && deny.type.endsWith('managed') ? `: ${deny.id}` : ''}`
    : ` because no identity-based policy allows the ${action} action`;
  return new AwsError('AccessDenied', `User: ${who} is not authorized to perform: ${action}${on}${why}`);
}

/** The caller's identity policies on one action and resource. */
export function decide(a: AuthInput, action: string, resource: string, extra: [string, string][] = []): Evaluation {
  const ctx = requestContext(a.state, a.caller, a);
  for (const [k, v] of extra) ctx.set(k, v);
  return evaluate(callerPolicies(a.state, a.caller), { action, resource, ctx });
}

/**
 * Throws what AWS answers when this caller may not make this request. AssumeRole's identity check
 * depends on its trust policy, so sts.ts makes it (`assumeRoleAllowed`).
 */
export function authorize(a: AuthInput): void {
  const t = target(a.service, a.action, a.params, a.state, a.caller);
  // GetSessionToken credentials without MFA "cannot call any IAM API operations"; IAM answers as for a bad token.
  if (a.service === 'iam' && a.caller.kind === 'session' && a.caller.session.mfaAt === undefined) {
    throw new AwsError('InvalidClientTokenId', IAM_BAD_TOKEN);
  }
  if (FREE.has(t.action) || t.action === 'sts:AssumeRole') return;
  const extra: [string, string][] = [];
  const pa = a.params.get('PolicyArn');
  if (pa !== null && /^(Attach|Detach)(User|Role)Policy$/.test(a.action)) extra.push(['iam:policyarn', pa]);
  const e = decide(a, t.action, t.resource, extra);
  if (e.decision !== 'allowed') throw denied(callerArn(a.state, a.caller), t.action, t.resource, e);
}
