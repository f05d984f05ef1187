// SimulatePrincipalPolicy and SimulateCustomPolicy: the enforcing engine's decision for each
// action and resource, with the statements that decided it and the context keys it lacked.
//
// The context is what the caller passes in ContextEntries, over the principal's identity keys
// (aws:username, aws:userid, aws:PrincipalArn, aws:PrincipalType, aws:PrincipalAccount) for
// SimulatePrincipalPolicy, or CallerArn's for SimulateCustomPolicy. No MFA key is assumed: without
// a ContextEntry the answer is the one a long-term key gets.
import { principalKeys } from './authz.js';
import { AwsError } from './errors.js';
import type { Handler, Ctx } from './context.js';
import { awsManagedPolicy } from './fixture.js';
import { evaluate, type Context, type Evaluation, type PolicySource } from '../policy/engine.js';
import { identityPolicies, roleArn, userArn, type RoleRec, type State, type UserRec } from './state.js';
import { P, paging } from './validate.js';
import { el, esc, list, page, pageTail } from './xml.js';

const TYPES = ['string', 'stringList', 'numeric', 'numericList', 'boolean', 'booleanList', 'ip', 'ipList', 'binary',
  'binaryList', 'date', 'dateList'] as const;
/** Members this endpoint cannot honour: refused by name rather than silently ignored. */
const UNSUPPORTED = ['ResourcePolicy', 'ResourceOwner', 'ResourceHandlingOption'];
const POLICY = { min: 1, max: 131072, pattern: P.policy };

function contextEntries(c: Ctx): [string, string | string[]][] {
  const out: [string, string | string[]][] = [];
  for (let i = 1; c.p.has(`ContextEntries.member.${i}.ContextKeyName`) ||
    c.p.has(`ContextEntries.member.${i}.ContextKeyType`); i++) {
    const at = `ContextEntries.member.${i}`;
    const name = c.p.str(`${at}.ContextKeyName`, { min: 5, max: 256 });
    const type = c.p.str(`${at}.ContextKeyType`, { oneOf: TYPES });
    const values = c.p.strList(`${at}.ContextKeyValues`, {}, 1000);
    if (name === undefined) continue;
    const norm = type === 'boolean' || type === 'booleanList' ? values.map((v) => v.toLowerCase()) : values;
    out.push([name.toLowerCase(), type?.endsWith('List') || norm.length !== 1 ? norm : norm[0]!]);
  }
  return out;
}

function inputPolicies(c: Ctx, wire: string): PolicySource[] {
  return c.p.strList(wire, POLICY, 1000).map((doc, i) => ({ id: `${wire}.${i + 1}`, type: 'none' as const, doc }));
}

function checkJson(sources: PolicySource[]): void {
  for (const s of sources) {
    try { JSON.parse(s.doc); } catch {
      throw new AwsError('MalformedPolicyDocument', `${s.id}: This policy contains invalid Json`);
    }
  }
}

const principal = (w: { rec: UserRec | RoleRec; kind: 'user' | 'role' }) =>
  w.kind === 'user' ? { user: w.rec as UserRec } : { role: w.rec as RoleRec };

/** The user or role an ARN names. */
function principalOf(s: State, arn: string): { rec: UserRec | RoleRec; kind: 'user' | 'role' } | null {
  const u = Object.values(s.users).find((x) => userArn(s, x) === arn);
  if (u) return { kind: 'user', rec: u };
  const r = Object.values(s.roles).find((x) => roleArn(s, x) === arn);
  return r ? { kind: 'role', rec: r } : null;
}


function resultXml(action: string, resource: string, e: Evaluation): string {
  const matched = e.matched.map((m) => el('SourcePolicyId', m.source.id) + el('SourcePolicyType', m.source.type));
  return el('EvalActionName', action) + el('EvalResourceName', resource) + el('EvalDecision', e.decision) +
    list('MatchedStatements', matched) + list('MissingContextValues', e.missing.map(esc));
}

function simulate(c: Ctx, policies: PolicySource[], base: [string, string][]): string {
  const boundary = inputPolicies(c, 'PermissionsBoundaryPolicyInputList');
  const actions = c.p.strList('ActionNames', { min: 3, max: 128 }, 1000);
  const resources = c.p.strList('ResourceArns', { min: 1, max: 2048 }, 1000);
  const entries = contextEntries(c);
  const { marker, maxItems } = paging(c.p);
  for (const name of UNSUPPORTED) if (c.p.has(name)) throw new AwsError('UnsupportedParameter',
    `${c.p.action}: the local endpoint does not support ${name} (identity policies only). Leave ${name} out.`);
  if (actions.length === 0) c.p.str('ActionNames', { required: true });
  c.p.done();
  checkJson([...policies, ...boundary]);
  const ctx: Context = new Map<string, string | string[]>(base);
  for (const [k, v] of entries) ctx.set(k, v);
  const rows: { action: string; resource: string; e: Evaluation }[] = [];
  for (const action of actions) {
    for (const resource of resources.length ? resources : ['*']) {
      let e = evaluate(policies, { action, resource, ctx });
      // A permissions boundary must allow too; its deny (explicit or implicit) is the answer then.
      if (boundary.length && e.decision === 'allowed') {
        const b = evaluate(boundary, { action, resource, ctx });
        if (b.decision !== 'allowed') e = { ...b, missing: [...new Set([...e.missing, ...b.missing])] };
      }
      rows.push({ action, resource, e });
    }
  }
  const pg = page(rows.map((r, i) => ({ ...r, key: String(i).padStart(8, '0') })), (r) => r.key, marker, maxItems);
  return list('EvaluationResults', pg.items.map((r) => resultXml(r.action, r.resource, r.e))) + pageTail(pg);
}

const SimulatePrincipalPolicy: Handler = (c) => {
  const arn = c.p.str('PolicySourceArn', { required: true, min: 20, max: 2048 });
  const extra = inputPolicies(c, 'PolicyInputList');
  if (c.p.has('CallerArn')) c.p.str('CallerArn', { min: 1, max: 2048 });
  const who = arn === undefined ? null : principalOf(c.state, arn);
  if (arn !== undefined && !who) {
    // Validation first: a malformed request is answered as such before the lookup.
    c.p.strList('ActionNames', { min: 3, max: 128 }, 1000);
    throw new AwsError('NoSuchEntity', `PolicySourceArn ${arn} does not exist or is not a user or role`);
  }
  const policies = who ? [...identityPolicies(c.state, who.rec, who.kind, awsManagedPolicy), ...extra] : extra;
  return simulate(c, policies, who ? principalKeys(c.state, principal(who)) : []);
};

const SimulateCustomPolicy: Handler = (c) => {
  const policies = inputPolicies(c, 'PolicyInputList');
  const callerArn = c.p.str('CallerArn', { min: 1, max: 2048 });
  if (policies.length === 0) c.p.str('PolicyInputList', { required: true });
  const who = callerArn !== undefined ? principalOf(c.state, callerArn) : null;
  return simulate(c, policies, who ? principalKeys(c.state, principal(who)) : []);
};

export const SIMULATE: Record<string, Handler> = { SimulatePrincipalPolicy, SimulateCustomPolicy };
