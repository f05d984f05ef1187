// The gate IAM puts in front of identity policies (PutUserPolicy, PutRolePolicy, CreatePolicy,
// CreatePolicyVersion): a document that fails it is MalformedPolicyDocument with IAM's own sentence,
// checked in IAM's order (syntax, version, legacy parsing, Sid uniqueness, actions, resource format,
// resources, action vendors). Evaluation compiles documents elsewhere; this only says yes or no.
//
// The work is bounded: callers check the size quota (non-whitespace characters, a few thousand)
// before calling, the document is at most 131072 characters by the model, and the walk below has a
// fixed depth (policy, statement, condition operator, key, values) whatever the document nests.
import { asList } from './conditions.js';

/** A document IAM refuses, with the error code and text IAM sends; the endpoint puts both on the wire. */
export class PolicyError extends Error {
  readonly code: 'MalformedPolicyDocument' | 'LimitExceeded';
  constructor(code: PolicyError['code'], message: string) {
    super(message);
    this.name = 'PolicyError';
    this.code = code;
  }
}

/** Characters IAM counts against its policy quotas: everything but whitespace. */
export function policySize(doc: string): number {
  let n = 0;
  for (let i = 0; i < doc.length; i++) {
    const c = doc.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) n++;
  }
  return n;
}

/** IAM's default quotas, in policySize characters: a role's trust policy, a managed policy, and all of one
 * user's (or role's) inline policies together. */
export const TRUST_POLICY_MAX = 2048;
export const MANAGED_POLICY_MAX = 6144;
export const INLINE_POLICIES_MAX = { User: 2048, Role: 10240 } as const;

/** The policy language's top-level and statement elements, and its condition operators (case as IAM spells them). */
export const TOP = new Set(['Version', 'Id', 'Statement']);
export const ELEMENTS = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource',
  'NotResource', 'Condition']);
export const OPERATORS = new Set([
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike',
  'StringNotLike', 'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals',
  'NumericGreaterThan', 'NumericGreaterThanEquals', 'DateEquals', 'DateNotEquals', 'DateLessThan',
  'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals', 'Bool', 'BinaryEquals', 'IpAddress',
  'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike', 'Null',
]);

const malformed = (m: string) => new PolicyError('MalformedPolicyDocument', m);
export const GRAMMAR = {
  json: 'This policy contains invalid Json',
  syntax: 'Syntax errors in policy.',
  principal: 'Policy document should not specify a principal.',
  version: 'Policy document must be version 2012-10-17 or greater.',
  legacy: 'The policy failed legacy parsing',
  sid: 'Statement IDs (SID) in a single policy must be unique.',
  actions: 'Policy statement must contain actions.',
  resources: 'Policy statement must contain resources.',
  vendor: 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.',
  colons: 'Actions/Condition can contain only one colon.',
} as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const strings = (v: unknown) => typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));

/** `ForAnyValue:StringLikeIfExists` → `StringLike`. */
const baseOperator = (op: string) => op.replace(/^For(AnyValue|AllValues):/, '').replace(/IfExists$/, '');

function syntaxOk(p: unknown): Obj[] | null {
  if (!isObj(p) || !Object.keys(p).every((k) => TOP.has(k))) return null;
  if (p.Version !== undefined && p.Version !== '2012-10-17' && p.Version !== '2008-10-17') return null;
  if (p.Id !== undefined && typeof p.Id !== 'string') return null;
  const list = Array.isArray(p.Statement) ? p.Statement : isObj(p.Statement) ? [p.Statement] : null;
  if (!list || list.length === 0) return null;
  for (const s of list) {
    if (!isObj(s) || !Object.keys(s).every((k) => ELEMENTS.has(k))) return null;
    if ((s.Action !== undefined && s.NotAction !== undefined) ||
      (s.Resource !== undefined && s.NotResource !== undefined)) return null;
    if (typeof s.Effect !== 'string' || !/^(allow|deny)$/i.test(s.Effect)) return null;
    for (const k of ['Action', 'NotAction', 'Resource', 'NotResource'] as const) {
      if (s[k] !== undefined && !strings(s[k])) return null;
    }
    if (s.Sid !== undefined && typeof s.Sid !== 'string') return null;
    if (s.Condition !== undefined) {
      if (!isObj(s.Condition)) return null;
      for (const [op, block] of Object.entries(s.Condition)) {
        if (!isObj(block)) return null;
        if (!Object.values(block).every((v) => typeof v === 'string' || typeof v === 'boolean' ||
          (Array.isArray(v) && v.every((x) => ['string', 'boolean', 'number'].includes(typeof x))))) return null;
        if (!OPERATORS.has(baseOperator(op)) && Object.keys(block).length > 0) return null;
      }
    }
  }
  return list as Obj[];
}

/** The first resource IAM refuses for its shape, as IAM words it; or null. */
function resourceError(statements: Obj[]): string | null {
  for (const s of statements) {
    for (const r of [...asList(s.Resource), ...asList(s.NotResource)]) {
      if (r !== '*' && !r.includes(':')) return `Resource ${r} must be in ARN format or "*".`;
    }
  }
  return null;
}

/**
 * Throws MalformedPolicyDocument unless `doc` is an identity policy IAM would store. Managed
 * policies (CreatePolicy, CreatePolicyVersion) must say Version 2012-10-17; inline ones may omit
 * it or say 2008-10-17, as IAM still accepts there.
 */
export function checkIdentityPolicy(doc: string, kind: 'inline' | 'managed'): void {
  if (!/^\s*\{/.test(doc)) throw malformed(GRAMMAR.json);
  let p: unknown;
  try { p = JSON.parse(doc); } catch { throw malformed(GRAMMAR.syntax); }
  const statements = syntaxOk(p);
  if (!statements) throw malformed(GRAMMAR.syntax);
  if (statements.some((s) => s.Principal !== undefined || s.NotPrincipal !== undefined)) {
    throw malformed(GRAMMAR.principal);
  }
  if (kind === 'managed' && (p as Obj).Version !== '2012-10-17') throw malformed(GRAMMAR.version);
  // Legacy parsing is case-sensitive where the syntax check is not, and wants an ARN's service.
  for (const s of statements) {
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw malformed(GRAMMAR.legacy);
    for (const r of [...asList(s.Resource), ...asList(s.NotResource)]) {
      if (r !== '*' && r.includes(':') && ((r.includes('::') && r.split(':').length < 6) || r.split(':')[2] === '')) {
        throw malformed(GRAMMAR.legacy);
      }
    }
  }
  const sids = new Set<string>();
  for (const s of statements) {
    const sid = s.Sid as string | undefined;
    if (!sid) continue;
    if (sids.has(sid)) throw malformed(GRAMMAR.sid);
    sids.add(sid);
  }
  const present = (s: Obj, a: string, b: string) =>
    (s[a] !== undefined && asList(s[a]).length > 0) || (s[a] === undefined && s[b] !== undefined &&
      asList(s[b]).length > 0);
  if (!statements.every((s) => present(s, 'Action', 'NotAction'))) throw malformed(GRAMMAR.actions);
  const bad = resourceError(statements);
  if (bad) throw malformed(bad);
  if (!statements.every((s) => present(s, 'Resource', 'NotResource'))) throw malformed(GRAMMAR.resources);
  for (const s of statements) {
    for (const a of [...asList(s.Action), ...asList(s.NotAction)]) {
      const parts = a.split(':');
      if (parts.length === 1 && a !== '*') throw malformed(GRAMMAR.vendor);
      if (parts.length > 2) throw malformed(GRAMMAR.colons);
      if (parts[0] !== '*' && /[^a-zA-Z0-9.-]/.test(parts[0]!)) throw malformed(`Vendor ${parts[0]} is not valid`);
    }
  }
}

// ---- Trust policies (CreateRole, UpdateAssumeRolePolicy)

export interface TrustStatement {
  Sid?: unknown; Effect?: unknown; Principal?: unknown; NotPrincipal?: unknown;
  Action?: unknown; NotAction?: unknown; Condition?: unknown;
}

/** Checked at CreateRole, and again before every evaluation: enough structure to evaluate, within the quota. */
export function parsePolicy(doc: string): TrustStatement[] {
  if (policySize(doc) > TRUST_POLICY_MAX) throw new PolicyError('LimitExceeded',
    `Cannot exceed quota for ACLSizePerRole: ${TRUST_POLICY_MAX}`);
  let p: unknown;
  try { p = JSON.parse(doc); } catch { throw new PolicyError('MalformedPolicyDocument',
    'This policy contains invalid Json'); }
  const st = (p as { Statement?: unknown })?.Statement;
  const list = Array.isArray(st) ? st : st && typeof st === 'object' ? [st] : null;
  if (!list || list.length === 0) throw new PolicyError('MalformedPolicyDocument', 'Syntax errors in policy.');
  for (const s of list as TrustStatement[]) {
    if (s === null || typeof s !== 'object' || (s.Effect !== 'Allow' && s.Effect !== 'Deny')) {
      throw new PolicyError('MalformedPolicyDocument', 'Syntax errors in policy.');
    }
    if (s.Principal === undefined && s.NotPrincipal === undefined) throw new PolicyError('MalformedPolicyDocument',
      'Missing required field Principal');
    if (s.Action === undefined && s.NotAction === undefined) throw new PolicyError('MalformedPolicyDocument',
      'Missing required field Action');
  }
  return list as TrustStatement[];
}
