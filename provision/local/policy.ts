// Trust-policy evaluation for sts:AssumeRole (and the sts:TagSession / sts:SetSourceIdentity it
// implies): an explicit Deny wins, otherwise some Allow must match Principal, Action and every
// Condition. Conditions cover what MFA policies use (Bool, BoolIfExists, Null, Numeric* on
// aws:MultiFactorAuthAge) plus String*/Arn* for sts:ExternalId, session names and tags. An
// operator this evaluator does not know never matches, so it can only deny more.
//
// The work is bounded: a document is at most ACLSizePerRole characters (whitespace not counted,
// as IAM counts), which also bounds statements, values and pattern lengths, and globs match in
// O(pattern × subject) steps without regular expressions, so no document can stall the server.
import { AwsError } from './errors.js';

/** Condition keys, lower-cased; absent keys are simply missing. */
export type Context = Map<string, string>;

interface Statement {
  Effect?: unknown; Principal?: unknown; NotPrincipal?: unknown;
  Action?: unknown; NotAction?: unknown; Condition?: unknown;
}

/** IAM's default quota for a role trust policy, in non-whitespace characters. */
export const TRUST_POLICY_MAX = 2048;

const asList = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => String(x));

/**
 * `*` matches any run of characters (none included), `?` exactly one; everything else is literal.
 * Two pointers with one resume point after the last `*`: a later `*` supersedes an earlier one,
 * so the scan never goes back further than that point and costs at most |pattern| × |subject|.
 */
export function glob(pattern: string, subject: string, ignoreCase = false): boolean {
  const p = [...(ignoreCase ? pattern.toLowerCase() : pattern)];
  const s = [...(ignoreCase ? subject.toLowerCase() : subject)];
  let i = 0, j = 0, star = -1, resume = 0;
  while (j < s.length) {
    const c = p[i];
    if (c === '*') { star = i++; resume = j; }
    else if (c !== undefined && (c === '?' || c === s[j])) { i++; j++; }
    else if (star >= 0) { i = star + 1; j = ++resume; }
    else return false;
  }
  while (p[i] === '*') i++;
  return i === p.length;
}

/** Characters IAM counts against the policy quota: everything but whitespace. */
const counted = (doc: string) => {
  let n = 0;
  for (let i = 0; i < doc.length; i++) {
    const c = doc.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) n++;
  }
  return n;
};

/** Checked at CreateRole, and again before every evaluation: enough structure to evaluate, within the quota. */
export function parsePolicy(doc: string): Statement[] {
  if (counted(doc) > TRUST_POLICY_MAX) throw new AwsError('LimitExceeded',
    `Cannot exceed quota for ACLSizePerRole: ${TRUST_POLICY_MAX}`);
  let p: unknown;
  try { p = JSON.parse(doc); } catch { throw new AwsError('MalformedPolicyDocument',
    'This policy contains invalid Json'); }
  const st = (p as { Statement?: unknown })?.Statement;
  const list = Array.isArray(st) ? st : st && typeof st === 'object' ? [st] : null;
  if (!list || list.length === 0) throw new AwsError('MalformedPolicyDocument', 'Syntax errors in policy.');
  for (const s of list as Statement[]) {
    if (s === null || typeof s !== 'object' || (s.Effect !== 'Allow' && s.Effect !== 'Deny')) {
      throw new AwsError('MalformedPolicyDocument', 'Syntax errors in policy.');
    }
    if (s.Principal === undefined && s.NotPrincipal === undefined) throw new AwsError('MalformedPolicyDocument',
      'Missing required field Principal');
    if (s.Action === undefined && s.NotAction === undefined) throw new AwsError('MalformedPolicyDocument',
      'Missing required field Action');
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

const NUM = new Map<string, (a: number, b: number) => boolean>([
  ['numericequals', (a, b) => a === b], ['numericnotequals', (a, b) => a !== b],
  ['numericlessthan', (a, b) => a < b], ['numericlessthanequals', (a, b) => a <= b],
  ['numericgreaterthan', (a, b) => a > b], ['numericgreaterthanequals', (a, b) => a >= b],
]);

function conditionHolds(op: string, key: string, want: string[], ctx: Context): boolean {
  let o = op.toLowerCase();
  const have = ctx.get(key.toLowerCase());
  if (o === 'null') return want.some((w) => (w.toLowerCase() === 'true') === (have === undefined));
  const ifExists = o.endsWith('ifexists');
  if (ifExists) o = o.slice(0, -'ifexists'.length);
  if (have === undefined) return ifExists || o === 'stringnotlike' || o === 'arnnotlike' || o === 'stringnotequals' ||
    o === 'stringnotequalsignorecase' || o === 'arnnotequals';
  const num = NUM.get(o);
  if (num) return want.some((w) => num(Number(have), Number(w)));
  switch (o) {
    case 'bool': return want.some((w) => w.toLowerCase() === have.toLowerCase());
    case 'stringequals': case 'arnequals': return want.includes(have);
    case 'stringnotequals': case 'arnnotequals': return !want.includes(have);
    case 'stringequalsignorecase': return want.some((w) => w.toLowerCase() === have.toLowerCase());
    case 'stringnotequalsignorecase': return !want.some((w) => w.toLowerCase() === have.toLowerCase());
    case 'stringlike': case 'arnlike': return want.some((w) => glob(w, have));
    case 'stringnotlike': case 'arnnotlike': return !want.some((w) => glob(w, have));
    default: return false;
  }
}

function conditionsHold(c: unknown, ctx: Context): boolean {
  if (c === undefined) return true;
  if (!c || typeof c !== 'object' || Array.isArray(c)) return false;
  return Object.entries(c as Record<string, unknown>).every(([op, block]) =>
    !!block && typeof block === 'object' && !Array.isArray(block) &&
    Object.entries(block as Record<string, unknown>).every(([key, v]) => conditionHolds(op, key, asList(v), ctx)));
}

export interface Request { action: string; callers: string[]; account: string; ctx: Context }

/** A document that does not parse, or is over the quota (a hand-edited state file), allows nothing. */
export function allows(doc: string, r: Request): boolean {
  let statements: Statement[];
  try { statements = parsePolicy(doc); } catch { return false; }
  let allowed = false;
  for (const s of statements) {
    const who = s.NotPrincipal !== undefined ?
      !principalMatches(s.NotPrincipal, r.callers, r.account) : principalMatches(s.Principal, r.callers, r.account);
    const what = s.NotAction !== undefined ?
      !asList(s.NotAction).some((a) => glob(a, r.action, true)) : asList(s.Action).some((a) => glob(a, r.action, true));
    if (!who || !what || !conditionsHold(s.Condition, r.ctx)) continue;
    if (s.Effect === 'Deny') return false;
    allowed = true;
  }
  return allowed;
}
