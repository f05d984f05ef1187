// A policy document's shape, as IAM's validator sees it: the statements the MFA checks read, and a
// finding for everything IAM would refuse or read differently than its author meant (not JSON,
// unknown elements, Effect in the wrong case, an operator IAM does not know, a Principal in an
// identity policy, a policy variable under a Version that makes it literal).
import { lineCol, parseJson, JsonError, type JNode } from './json.js';
import { ELEMENTS, MANAGED_POLICY_MAX, OPERATORS, policySize, TOP } from './grammar.js';

export type Severity = 'error' | 'warning' | 'info';

/** One thing wrong with a policy: where, what, why it matters (message) and what to write instead (fix). */
export interface Finding {
  file: string;
  /** The statement's Sid, `Statement[i]` without one, or `(policy)` for the document. */
  statement: string;
  code: string;
  severity: Severity;
  message: string;
  fix: string;
  /** 1-based line of what the finding is about, when it has one. */
  line: number | null;
}

export interface Cond {
  /** As written, e.g. `BoolIfExists`. */
  op: string;
  /** Lower case, without `ForAllValues:`/`ForAnyValue:` and `IfExists`: `bool`, `numericlessthan`… */
  base: string;
  ifExists: boolean;
  set: 'forallvalues' | 'foranyvalue' | null;
  key: string;
  /** Condition key names are case-insensitive. */
  lkey: string;
  values: string[];
  at: number;
}

export interface Stmt {
  label: string;
  at: number;
  effect: 'Allow' | 'Deny' | null;
  action: string[] | null;
  notAction: string[] | null;
  resource: string[] | null;
  notResource: string[] | null;
  principal: boolean;
  conds: Cond[];
}

export interface Doc {
  statements: Stmt[];
  /** The line of an offset in the text. */
  line: (at: number) => number;
  /** Version 2012-10-17: policy variables are substituted. */
  versioned: boolean;
  /** Every statement names a Principal and only assumes a role: a role trust policy. */
  trust: boolean;
}

/** Condition operators as `base` spells them; `null` takes no IfExists and is judged on its own. */
const BASES = new Set([...OPERATORS].map((o) => o.toLowerCase()).filter((o) => o !== 'null'));
const TRUST_ACTIONS = /^sts:(AssumeRole\w*|TagSession|SetSourceIdentity|SetContext)$/i;
const describe = (n: JNode) => n.k === 'obj' ? 'an object' : n.k === 'arr' ? 'an array' : n.k === 'str' ?
  `the string ${JSON.stringify(n.v.length > 40 ? n.v.slice(0, 40) + '…' : n.v)}` : n.k === 'null' ? 'null'
    : `${n.k === 'num' ? 'the number' : ''} ${String(n.v)}`.trim();

export function readDoc(text: string, file: string, out: Finding[]): Doc | null {
  const where = lineCol(text);
  const line = (at: number | null) => at === null ? null : where(at).line;
  const add = (severity: Severity, code: string, statement: string, at: number | null, message: string, fix: string) =>
    { out.push({ file, statement, code, severity, message, fix, line: line(at) }); };

  let root: JNode;
  try { root = parseJson(text); } catch (e) {
    if (!(e instanceof JsonError)) throw e;
    const { line: l, col } = where(e.at);
    add('error', 'not-json', '(policy)', e.at, `not JSON: ${e.message} at line ${l}, column ${col}`,
      'fix the JSON there (a policy is one JSON object; no comments or trailing commas)');
    return null;
  }
  const dups = (n: JNode, where: string) => {
    if (n.k === 'obj') for (const d of n.dups) add('error', 'duplicate-key', where, d.at,
      `the key ${JSON.stringify(d.key)} appears twice in one object: JSON readers keep only one of them, ` +
      `so the other is silently lost`, `merge the two into one ${JSON.stringify(d.key)}`);
    if (n.k === 'obj') for (const c of n.v.values()) dups(c, where);
    if (n.k === 'arr') for (const c of n.v) dups(c, where);
  };
  if (root.k !== 'obj') {
    add('error', 'not-object', '(policy)', root.at, `a policy is a JSON object, not ${describe(root)}`,
      'write {"Version": "2012-10-17", "Statement": [...]}');
    return null;
  }
  for (const d of root.dups) add('error', 'duplicate-key', '(policy)', d.at, `the key ${JSON.stringify(d.key)} ` +
    'appears twice at the top: JSON readers keep only the last one', `merge them into one ${JSON.stringify(d.key)}`);
  for (const [k, n] of root.v) if (!TOP.has(k)) add('error', 'unknown-element', '(policy)', n.at,
    `unknown top-level element ${JSON.stringify(k)}: IAM refuses the document (MalformedPolicyDocument)`,
    `use only Version, Id and Statement (element names are case-sensitive)`);

  const version = root.v.get('Version');
  const vText = version?.k === 'str' ? version.v : null;
  if (version && vText !== '2012-10-17' && vText !== '2008-10-17') add('error', 'bad-version', '(policy)', version.at,
    `Version is ${describe(version)}: IAM knows only "2012-10-17" and "2008-10-17"`, 'write "Version": "2012-10-17"');

  const st = root.v.get('Statement');
  if (!st || (st.k !== 'arr' && st.k !== 'obj') || (st.k === 'arr' && st.v.length === 0)) {
    add('error', 'no-statement', '(policy)', st?.at ?? root.at, st ? `Statement is ${describe(st)}, which grants and ` +
      'denies nothing' : 'no Statement: the policy grants and denies nothing',
      'add "Statement": [{"Effect": …, "Action": …, "Resource": …}]');
    return null;
  }
  const nodes = st.k === 'arr' ? st.v : [st];
  const statements: Stmt[] = [];
  const sids = new Map<string, number>();
  let variables = false;

  nodes.forEach((n, i) => {
    const index = st.k === 'arr' ? `Statement[${i}]` : 'Statement';
    if (n.k !== 'obj') {
      add('error', 'bad-statement', index, n.at, `a statement is an object, not ${describe(n)}`,
        'write {"Effect": …, "Action": …, "Resource": …}');
      return;
    }
    const sid = n.v.get('Sid');
    const label = sid?.k === 'str' && sid.v ? sid.v : index;
    dups(n, label);
    if (sid && (sid.k !== 'str' || !/^[A-Za-z0-9]*$/.test(sid.v))) add('error', 'bad-sid', index, sid.at,
      `Sid is ${describe(sid)}: IAM accepts only letters and digits there`, 'use a Sid of ASCII letters and digits');
    if (sid?.k === 'str' && sid.v) {
      if (sids.has(sid.v)) add('error', 'duplicate-sid', label, sid.at, `Sid ${JSON.stringify(sid.v)} is also ` +
        `Statement[${sids.get(sid.v)}]'s: IAM requires Sids unique within a policy`, 'rename one of them');
      else sids.set(sid.v, i);
    }
    for (const [k, v] of n.v) if (!ELEMENTS.has(k)) add('error', 'unknown-element', label, v.at,
      `unknown element ${JSON.stringify(k)}: IAM refuses the document (MalformedPolicyDocument)`,
      `use ${[...ELEMENTS].join(', ')} (names are case-sensitive)`);

    const effect = n.v.get('Effect');
    const eff = effect?.k === 'str' && (effect.v === 'Allow' || effect.v === 'Deny') ? effect.v : null;
    if (!eff) add('error', 'bad-effect', label, effect?.at ?? n.at, effect ? `Effect is ${describe(effect)}: it must ` +
      'be "Allow" or "Deny", and is case-sensitive' : 'no Effect', effect?.k === 'str' &&
      /^(allow|deny)$/i.test(effect.v) ? `write "${effect.v[0]!.toUpperCase()}${effect.v.slice(1).toLowerCase()}"` :
      'add "Effect": "Allow" or "Effect": "Deny"');

    // String lists: a string or an array of strings; anything else is a finding and counts as empty.
    const list = (name: string, check?: (s: string) => string | null): string[] | null => {
      const v = n.v.get(name);
      if (!v) return null;
      const items = v.k === 'arr' ? v.v : [v];
      const got: string[] = [];
      for (const it of items) {
        if (it.k !== 'str') {
          add('error', 'bad-value', label, it.at, `${name} holds ${describe(it)}: it takes strings`,
            `write ${name} as a string or an array of strings`);
          continue;
        }
        const why = check?.(it.v);
        if (why) add('error', `bad-${name.toLowerCase().replace('not', '')}`, label, it.at, why.replace('$', name),
          name.endsWith('Action') ? 'write service:Action, e.g. "iam:EnableMFADevice" (wildcards * and ? allowed)' :
            'write an ARN, e.g. "arn:aws:iam::*:user/${aws:username}", or "*"');
        if (it.v.includes('${')) variables = true;
        got.push(it.v);
      }
      if (v.k === 'arr' && items.length === 0) add('error', 'bad-value', label, v.at, `${name} is an empty list, ` +
        'which matches nothing', `list what ${name} should match, or remove it`);
      return got;
    };
    const actionCheck = (s: string) => s === '*' || /^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$/.test(s) ? null :
      `$ ${JSON.stringify(s)} is not service:Action: IAM refuses it ` +
      '("Actions/Conditions must be prefaced by a vendor")';
    const resourceCheck = (s: string) => s === '*' || s.startsWith('arn:') ? null :
      `$ ${JSON.stringify(s)} is not an ARN or "*": it matches nothing`;
    const action = list('Action', actionCheck), notAction = list('NotAction', actionCheck);
    const resource = list('Resource', resourceCheck), notResource = list('NotResource', resourceCheck);
    if (!action && !notAction) add('error', 'no-action', label, n.at, 'no Action or NotAction: IAM refuses it',
      'add "Action": [...] naming what the statement is about');
    if (action && notAction) add('error', 'action-and-notaction', label, n.at, 'both Action and NotAction: IAM ' +
      'refuses it', 'keep one of them');
    if (resource && notResource) add('error', 'resource-and-notresource', label, n.at, 'both Resource and ' +
      'NotResource: IAM refuses it', 'keep one of them');
    const principal = n.v.has('Principal') || n.v.has('NotPrincipal');

    const conds: Cond[] = [];
    const c = n.v.get('Condition');
    if (c && c.k !== 'obj') add('error', 'bad-condition', label, c.at, `Condition is ${describe(c)}: it is an ` +
      'object of operators', 'write "Condition": {"Operator": {"key": "value"}}');
    if (c?.k === 'obj') for (const [op, block] of c.v) {
      const m = /^(?:(ForAllValues|ForAnyValue):)?([\s\S]*?)(IfExists)?$/i.exec(op)!;
      const base = m[2]!.toLowerCase();
      if (!BASES.has(base) && !(base === 'null' && !m[3])) {
        const age = block.k === 'obj' && [...block.v.keys()].some((k) => k.toLowerCase() === 'aws:multifactorauthage');
        if (age) add('error', 'mfa-age-operator', label, block.at, `${JSON.stringify(op)} on aws:MultiFactorAuthAge ` +
          'is no IAM operator, and the age is a number of seconds: only Numeric* operators compare it',
        'use "NumericLessThan" (or "NumericGreaterThanIfExists" in a Deny)');
        else add('error', 'unknown-operator', label, block.at,
          `unknown condition operator ${JSON.stringify(op)}: IAM ` +
          'refuses the document (Invalid Condition type), and no evaluator can read it', 'use a documented ' +
          'operator, e.g. Bool, BoolIfExists, NumericLessThan, StringEquals, ArnLike, Null');
        continue;
      }
      if (block.k !== 'obj') {
        add('error', 'bad-condition', label, block.at, `the ${op} block is ${describe(block)}: it maps condition ` +
          'keys to values', `write "${op}": {"key": "value"}`);
        continue;
      }
      for (const [key, val] of block.v) {
        const items = val.k === 'arr' ? val.v : [val];
        const values: string[] = [];
        for (const it of items) {
          if (it.k === 'str' || it.k === 'num' || it.k === 'bool') values.push(String(it.v));
          else add('error', 'bad-condition', label, it.at, `${op} ${key} holds ${describe(it)}: condition values ` +
            'are strings, numbers or booleans', `write "${key}": "value" or a list of them`);
        }
        if (values.some((v) => v.includes('${'))) variables = true;
        conds.push({ op, base, ifExists: !!m[3], set: (m[1]?.toLowerCase() ?? null) as Cond['set'], key,
          lkey: key.toLowerCase(), values, at: val.at });
      }
    }
    statements.push({ label, at: n.at, effect: eff, action, notAction, resource, notResource, principal, conds });
  });

  const trust = statements.length > 0 && statements.every((s) => s.principal && (s.action ?? []).length > 0 &&
    s.action!.every((a) => TRUST_ACTIONS.test(a)));
  for (const s of statements) {
    if (s.principal && !trust) add('error', 'principal-in-identity-policy', s.label, s.at, 'Principal in an ' +
      'identity policy: IAM refuses it ("Policy document should not specify a principal"); only resource policies ' +
      'such as a role\'s trust policy name principals', 'remove Principal: the user, group or role the policy is ' +
      'attached to is the principal');
    if (!trust && !s.resource && !s.notResource && !s.principal) add('error', 'no-resource', s.label, s.at,
      'no Resource: IAM refuses an identity-policy statement without one',
      'add "Resource": "*" or the ARNs it is about');
  }
  if (variables && vText !== '2012-10-17') add('error', 'variable-without-version', '(policy)', version?.at ?? root.at,
    `a policy variable such as \${aws:username} is used, but ${version ? `Version is ${describe(version)}` :
      'there is no Version'}: IAM then reads it as literal text, so user/\${aws:username} matches no user`,
    'add "Version": "2012-10-17" at the top');
  else if (!version) add('info', 'no-version', '(policy)', root.at, 'no Version: IAM assumes 2008-10-17, under which ' +
    'policy variables are literal text', 'add "Version": "2012-10-17" at the top');
  const size = policySize(text);
  if (size > MANAGED_POLICY_MAX) add('warning', 'over-quota', '(policy)', null,
    `${size} characters other than whitespace: ` +
    `IAM refuses a managed policy over ${MANAGED_POLICY_MAX} (and a user's inline policies over 2,048 in all)`,
    'split it into several policies, or shorten it with wildcards');
  return { statements, line: (at) => where(at).line, versioned: vText === '2012-10-17', trust };
}
