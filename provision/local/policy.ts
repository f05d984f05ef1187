// Trust-policy evaluation for sts:AssumeRole: an explicit Deny wins, otherwise some Allow must
// match Principal, Action and every Condition. Conditions cover what MFA policies use (Bool,
// BoolIfExists, Null, Numeric* on aws:MultiFactorAuthAge) plus String* for sts:ExternalId and
// friends. An operator this evaluator does not know never matches, so it can only deny more.
import { AwsError } from './errors.js';

/** Condition keys, lower-cased; absent keys are simply missing. */
export type Context = Record<string, string | undefined>;

interface Statement {
  Effect?: unknown; Principal?: unknown; NotPrincipal?: unknown;
  Action?: unknown; NotAction?: unknown; Condition?: unknown;
}

const asList = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => String(x));
const glob = (pattern: string, s: string, ci: boolean) => {
  const rx = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${rx}$`, ci ? 'is' : 's').test(s);
};

/** Checked at CreateRole: enough structure to evaluate later. */
export function parsePolicy(doc: string): Statement[] {
  let p: unknown;
  try { p = JSON.parse(doc); } catch { throw new AwsError('MalformedPolicyDocument', 'This policy contains invalid Json'); }
  const st = (p as { Statement?: unknown })?.Statement;
  const list = Array.isArray(st) ? st : st && typeof st === 'object' ? [st] : null;
  if (!list || list.length === 0) throw new AwsError('MalformedPolicyDocument', 'Syntax errors in policy.');
  for (const s of list as Statement[]) {
    if (s === null || typeof s !== 'object' || (s.Effect !== 'Allow' && s.Effect !== 'Deny')) {
      throw new AwsError('MalformedPolicyDocument', 'Syntax errors in policy.');
    }
    if (s.Principal === undefined && s.NotPrincipal === undefined) throw new AwsError('MalformedPolicyDocument', 'Missing required field Principal');
    if (s.Action === undefined && s.NotAction === undefined) throw new AwsError('MalformedPolicyDocument', 'Missing required field Action');
  }
  return list as Statement[];
}

/** `"*"`, or `{AWS: …}` naming the caller's ARN, the account id, or the account root. */
function principalMatches(p: unknown, callers: string[], account: string): boolean {
  if (p === '*') return true;
  if (!p || typeof p !== 'object') return false;
  return asList((p as { AWS?: unknown }).AWS).some((v) =>
    v === '*' || v === account || v === `arn:aws:iam::${account}:root` || callers.includes(v));
}

const NUM: Record<string, (a: number, b: number) => boolean> = {
  numericequals: (a, b) => a === b, numericnotequals: (a, b) => a !== b,
  numericlessthan: (a, b) => a < b, numericlessthanequals: (a, b) => a <= b,
  numericgreaterthan: (a, b) => a > b, numericgreaterthanequals: (a, b) => a >= b,
};

function conditionHolds(op: string, key: string, want: string[], ctx: Context): boolean {
  let o = op.toLowerCase();
  const have = ctx[key.toLowerCase()];
  if (o === 'null') return want.some((w) => (w.toLowerCase() === 'true') === (have === undefined));
  const ifExists = o.endsWith('ifexists');
  if (ifExists) o = o.slice(0, -'ifexists'.length);
  if (have === undefined) return ifExists;
  if (o === 'bool') return want.some((w) => w.toLowerCase() === have.toLowerCase());
  if (NUM[o]) return want.some((w) => NUM[o]!(Number(have), Number(w)));
  switch (o) {
    case 'stringequals': return want.includes(have);
    case 'stringnotequals': return !want.includes(have);
    case 'stringequalsignorecase': return want.some((w) => w.toLowerCase() === have.toLowerCase());
    case 'stringlike': case 'arnlike': return want.some((w) => glob(w, have, false));
    case 'stringnotlike': case 'arnnotlike': return !want.some((w) => glob(w, have, false));
    case 'arnequals': return want.includes(have);
    default: return false;
  }
}

function conditionsHold(c: unknown, ctx: Context): boolean {
  if (c === undefined) return true;
  if (!c || typeof c !== 'object') return false;
  return Object.entries(c as Record<string, unknown>).every(([op, block]) =>
    !!block && typeof block === 'object' &&
    Object.entries(block as Record<string, unknown>).every(([key, v]) => conditionHolds(op, key, asList(v), ctx)));
}

export interface Request { action: string; callers: string[]; account: string; ctx: Context }

export function allows(doc: string, r: Request): boolean {
  let statements: Statement[];
  try { statements = parsePolicy(doc); } catch { return false; }
  let allowed = false;
  for (const s of statements) {
    const who = s.NotPrincipal !== undefined ? !principalMatches(s.NotPrincipal, r.callers, r.account) : principalMatches(s.Principal, r.callers, r.account);
    const what = s.NotAction !== undefined ? !asList(s.NotAction).some((a) => glob(a, r.action, true)) : asList(s.Action).some((a) => glob(a, r.action, true));
    if (!who || !what || !conditionsHold(s.Condition, r.ctx)) continue;
    if (s.Effect === 'Deny') return false;
    allowed = true;
  }
  return allowed;
}
