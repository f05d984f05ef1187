// The MFA traps of IAM policies, as AWS documents them:
// - aws:MultiFactorAuthPresent is absent for long-term access keys, so a Deny on Bool "false" never
//   fires for them (BoolIfExists does), and an Allow on BoolIfExists "true" admits them;
// - aws:MultiFactorAuthAge is numeric and absent without MFA: only Numeric* operators compare it, and
//   a Deny on NumericGreaterThan without IfExists never fires for a caller without MFA;
// - self-manage statements must name the caller's own user (`user/${aws:username}`), not every user;
// - a "deny without MFA" statement must leave out the calls that enroll the first device;
// - and what no policy of this kind closes: a stolen long-term key may enroll a device of its own.
// Statements are judged against three callers: a long-term key (no MFA keys), a session without MFA
// (Present "false") and an MFA session (Present "true", Age 300). Keys other than these two are
// unknown, so a statement conditioned on them is never assumed to fire.
import { glob } from './pattern.js';
import type { Cond, Doc, Finding, Severity, Stmt } from './shape.js';

const PRESENT = 'aws:multifactorauthpresent', AGE = 'aws:multifactorauthage';
type Caller = Map<string, string>;
const LONG_TERM: Caller = new Map();
const NO_MFA_SESSION: Caller = new Map([[PRESENT, 'false']]);
type Tri = boolean | 'unknown';

/** A user-string excerpt for a message: quoted, escaped, short. */
export const q = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);

function holds(c: Cond, who: Caller): Tri {
  if (c.lkey !== PRESENT && c.lkey !== AGE) return 'unknown';
  const have = who.get(c.lkey);
  if (c.base === 'null') return c.values.some((w) => (w.toLowerCase() === 'true') === (have === undefined));
  if (have === undefined) return c.ifExists || c.set === 'forallvalues' || (c.set === null && c.base.includes('not'));
  const neg = c.base.includes('not');
  const one = (w: string): boolean => {
    const b = c.base;
    if (b.startsWith('numeric')) {
      const x = Number(have), y = /^-?\d+(\.\d+)?$/.test(w) ? Number(w) : NaN;
      return b.endsWith('notequals') ? x !== y : b.endsWith('lessthanequals') ? x <= y
        : b.endsWith('lessthan') ? x < y : b.endsWith('greaterthanequals') ? x >= y
          : b.endsWith('greaterthan') ? x > y : x === y;
    }
    if (b === 'bool' || b.includes('ignorecase')) return w.toLowerCase() === have.toLowerCase();
    if (b.includes('like')) return glob(w, have);
    return b.startsWith('string') || b.startsWith('arn') ? w === have : false;
  };
  return neg ? !c.values.some(one) : c.values.some(one);
}

function fires(s: Stmt, who: Caller): Tri {
  let r: Tri = true;
  for (const c of s.conds) {
    const h = holds(c, who);
    if (h === false) return false;
    if (h === 'unknown') r = 'unknown';
  }
  return r;
}

const acts = (s: Stmt, action: string) => s.action ? s.action.some((p) => glob(p, action, true)) :
  !!s.notAction && !s.notAction.some((p) => glob(p, action, true));

const CALLER = 'alice', OTHER = 'mallory';
type Kind = 'user' | 'mfa' | 'any';

/**
 * Whether a Resource pattern covers USER's user or MFA ARN (in the pattern's own account), or `*` for
 * actions without resources.
 */
function covers(pattern: string, kind: Kind, user: string, doc: Doc, paths = ['', 'team/']): boolean {
  if (pattern === '*') return true;
  if (kind === 'any') return false;
  const acct = /^\d{12}$/.test(pattern.split(':')[4] ?? '') ? pattern.split(':')[4] : '123456789012';
  // ${aws:username} is the caller (under Version 2012-10-17; otherwise it is literal text, as are the
  // escapes ${*} ${?} ${$}); any other variable stands for a value unlike any probe's.
  const p = pattern.replace(/\$\{([^}$]*)\}/g, (_, v: string) =>
    doc.versioned && v.toLowerCase() === 'aws:username' ? CALLER : '\u0001');
  return paths.some((path) => glob(p, `arn:aws:iam::${acct}:${kind}/${path}${user}`));
}
const onResource = (s: Stmt, kind: Kind, user: string, doc: Doc) => s.resource ?
  s.resource.some((p) => covers(p, kind, user, doc)) :
  s.notResource ? !s.notResource.some((p) => covers(p, kind, user, doc)) : true;

// Calls on a user's own credentials; the resource is the user (GetMFADevice and ListMFADevices included).
const USER_WRITES = ['EnableMFADevice', 'ResyncMFADevice', 'DeactivateMFADevice', 'CreateAccessKey', 'DeleteAccessKey',
  'UpdateAccessKey', 'ChangePassword', 'CreateLoginProfile', 'UpdateLoginProfile', 'DeleteLoginProfile',
  'UploadSSHPublicKey', 'UpdateSSHPublicKey', 'DeleteSSHPublicKey', 'UploadSigningCertificate',
  'UpdateSigningCertificate', 'DeleteSigningCertificate', 'CreateServiceSpecificCredential',
  'UpdateServiceSpecificCredential', 'DeleteServiceSpecificCredential', 'ResetServiceSpecificCredential']
  .map((a) => `iam:${a}`);
const USER_READS = ['ListMFADevices', 'GetMFADevice', 'ListAccessKeys', 'GetLoginProfile', 'ListSSHPublicKeys',
  'ListSigningCertificates', 'ListServiceSpecificCredentials'].map((a) => `iam:${a}`);
const MFA_WRITES = ['iam:DeleteVirtualMFADevice'];
/** What a user without MFA must be allowed to enroll a first device. */
const ENROLL: [string, Kind][] = [['iam:CreateVirtualMFADevice', 'mfa'], ['iam:EnableMFADevice', 'user'],
  ['iam:ListMFADevices', 'user'], ['iam:ListVirtualMFADevices', 'any'], ['iam:ResyncMFADevice', 'user']];

export function mfaChecks(doc: Doc, file: string, line: (at: number) => number, out: Finding[]): void {
  const add = (severity: Severity, code: string, s: Stmt | string, at: number | null, message: string, fix: string) =>
    { out.push({ file, statement: typeof s === 'string' ? s : s.label, code, severity, message, fix,
      line: at === null ? null : line(at) }); };

  for (const s of doc.statements) for (const c of s.conds) conditionChecks(s, c, add);
  if (doc.trust) return;

  const allows = doc.statements.filter((s) => s.effect === 'Allow');
  const denies = doc.statements.filter((s) => s.effect === 'Deny');

  for (const s of allows) {
    if (acts(s, 'iam:CreateUser')) continue; // an administrator's statement covers every user on purpose
    for (const [list, kind, sev] of [[USER_WRITES, 'user', 'error'], [USER_READS, 'user', 'warning'],
      [MFA_WRITES, 'mfa', 'error']] as const) {
      const hit = list.filter((a) => acts(s, a));
      if (hit.length === 0 || !onResource(s, kind, OTHER, doc)) continue;
      const res = s.resource ? s.resource.filter((p) => covers(p, kind, OTHER, doc)).map(q).join(', ') :
        `everything but ${(s.notResource ?? []).map(q).join(', ')} (NotResource)`;
      add(sev, 'self-manage-any-user', s, s.at, `allows ${names(hit)} on ${res}: every user this policy is attached ` +
        `to can ${sev === 'error' ? 'change' : 'read'} every other user's ${kind === 'mfa' ? 'MFA devices' :
          'MFA devices and credentials'}, not just their own`,
      `make the Resource "arn:aws:iam::*:${kind}/\${aws:username}" (with "Version": "2012-10-17")`);
    }
  }

  // IAM matches a user's ARN with its path (user/service-user/alice), so `user/${aws:username}`
  // alone reaches only users at path `/`: one with a path is refused its own device.
  for (const s of allows) {
    const hit = [...USER_WRITES, ...USER_READS].filter((a) => acts(s, a));
    if (hit.length === 0 || !s.resource) continue;
    const root = s.resource.some((p) => covers(p, 'user', CALLER, doc, ['']));
    const pathed = s.resource.some((p) => covers(p, 'user', CALLER, doc, ['team/']));
    if (root && !pathed) add('warning', 'self-manage-root-path-only', s, s.at, `allows ${names(hit)} only on users ` +
      'at path "/": a user\'s ARN carries its path (arn:aws:iam::ACCOUNT:user/PATH/NAME), so a user created with ' +
      '--path (such as /service-user/) is refused its own MFA device',
    'add "arn:aws:iam::*:user/*/${aws:username}" beside "arn:aws:iam::*:user/${aws:username}" (names are unique ' +
      'across paths, so it still reaches only the caller)');
  }

  for (const d of denies) {
    const lt = fires(d, LONG_TERM) === true, s0 = fires(d, NO_MFA_SESSION) === true;
    if (!lt && !s0) continue;
    const blocked = ENROLL.filter(([a, kind]) => acts(d, a) && onResource(d, kind, CALLER, doc)).map(([a]) => a);
    const when = lt && s0 ? 'without MFA' : lt ? 'with long-term access keys' : 'in sessions without MFA';
    const how = d.notAction ? 'add them to its NotAction list, as AWS\'s BlockMostAccessUnlessSignedInWithMFA does' :
      'turn it into a NotAction list of what stays allowed without MFA, or take them out of its Action';
    if (blocked.length) add('error', 'deny-blocks-enrollment', d, d.at, `this Deny applies ${when} and also denies ` +
      `${names(blocked)}, which a user needs to enroll a first MFA device: nobody it applies to can ever get MFA`, how);
    if (lt && acts(d, 'sts:GetSessionToken') && onResource(d, 'any', CALLER, doc)) add('warning',
      'deny-blocks-session', d, d.at, 'this Deny applies to long-term access keys and also denies ' +
      'sts:GetSessionToken, the call that turns a key and an MFA code into an MFA session (the CLI\'s way to MFA)',
      'if users get MFA sessions with GetSessionToken, exempt sts:GetSessionToken, as AWS\'s ' +
      'DenyAllExceptListedIfNoMFA does');
  }

  // Allowed to a caller with long-term keys: some Allow may apply, no Deny surely does.
  const granted = (who: Caller, a: string, kind: Kind) => {
    if (denies.some((d) => acts(d, a) && onResource(d, kind, CALLER, doc) && fires(d, who) === true)) return [];
    return allows.filter((s) => acts(s, a) && onResource(s, kind, CALLER, doc) && fires(s, who) !== false);
  };
  const deact = [...granted(LONG_TERM, 'iam:DeactivateMFADevice', 'user'),
    ...granted(NO_MFA_SESSION, 'iam:DeactivateMFADevice', 'user')];
  const deactBy = [...new Set(deact.filter((s) => !acts(s, 'iam:CreateUser')))];
  if (deactBy.length) add('warning', 'deactivate-without-mfa', deactBy[0]!, deactBy[0]!.at, 'allows ' +
    'iam:DeactivateMFADevice without MFA: a stolen access key (or a console session without MFA) can remove the ' +
    'user\'s MFA device', 'add "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}} to it, as AWS\'s ' +
    'AllowUserToDeactivateTheirOwnMFAOnlyWhenUsingMFA does');
  const create = granted(LONG_TERM, 'iam:CreateVirtualMFADevice', 'mfa');
  const enable = granted(LONG_TERM, 'iam:EnableMFADevice', 'user');
  if (create.length && enable.length) {
    const by = [...new Set([...create, ...enable].map((s) => s.label))].join(' + ');
    add('info', 'stolen-key-enrolls', by, enable[0]!.at, 'with the user\'s long-term access key alone, no MFA, this ' +
      'policy allows iam:CreateVirtualMFADevice and iam:EnableMFADevice on the user: whoever steals the key can ' +
      'enroll an MFA device of their own (a user may have up to 8) and then pass every MFA condition. AWS\'s ' +
      'self-manage-MFA policy leaves the same opening, since a user must enroll a first device somehow',
    'if users need not enroll themselves, drop these two actions and let an administrator enroll devices; ' +
      'otherwise alert on EnableMFADevice in CloudTrail and disable keys that enroll unexpectedly');
  }
}

const names = (a: string[]) => a.join(', ');

type Add = (severity: Severity, code: string, s: Stmt, at: number, message: string, fix: string) => void;

function conditionChecks(s: Stmt, c: Cond, add: Add): void {
  const on = `${c.op} on ${c.key}`;
  if (c.lkey === PRESENT) {
    const vals = c.values.map((v) => v.toLowerCase());
    if (c.set) add('warning', 'mfa-set-operator', s, c.at, `${on}: the key holds one value, and ${
      c.set === 'forallvalues' ? 'ForAllValues: is true when it is absent, so long-term keys pass'
        : 'ForAnyValue: adds nothing'}`,
    `drop the ${c.op.split(':')[0]}: prefix`);
    if (c.base === 'null') {
      if (s.effect === 'Deny' && vals.includes('true') && !vals.includes('false')) add('warning', 'mfa-null-present',
        s, c.at, `${on} "true" denies long-term keys only: sessions without MFA carry the key as "false" and pass`,
        'use "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}');
      if (s.effect === 'Allow' && vals.includes('false') && !vals.includes('true')) add('warning', 'mfa-null-present',
        s, c.at, `${on} "false" admits sessions without MFA too (the key is "false" there, but present)`,
        'use "Bool": {"aws:MultiFactorAuthPresent": "true"}');
      return;
    }
    if (c.base !== 'bool') {
      add('warning', 'mfa-present-operator', s, c.at, `${on}: the key is a boolean`, s.effect === 'Deny'
        ? 'use "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}'
        : 'use "Bool": {"aws:MultiFactorAuthPresent": "true"}');
      return;
    }
    const bad = c.values.filter((v) => !/^(true|false)$/i.test(v));
    if (bad.length) add('error', 'mfa-bool-value', s, c.at, `${on} compares with ${bad.map(q).join(', ')}: the key ` +
      'is only ever "true" or "false", so that never matches', 'write "true" or "false"');
    if (s.effect === 'Deny' && !c.ifExists && vals.includes('false')) add('error', 'mfa-bool-deny', s, c.at,
      `Deny with ${on} "false": the key is absent for long-term access keys, so this Deny never fires for them ` +
      '(the CLI, SDKs and scripts with an access key pass unchallenged)', `use "BoolIfExists" instead of "${c.op}": ` +
      'an absent key then counts as no MFA');
    else if (s.effect === 'Deny' && !vals.includes('false') && vals.includes('true')) add('warning',
      'mfa-deny-inverted', s, c.at, `Deny with ${on} "true" denies the callers that did use MFA`,
      'to deny callers without MFA, use "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}');
    if (s.effect === 'Allow' && c.ifExists && vals.includes('true')) add('warning', 'mfa-ifexists-allow', s, c.at,
      `Allow with ${on} "true": the key is absent for long-term access keys, and IfExists counts an absent key as a ` +
      'match, so this Allow admits them without MFA', 'use "Bool" instead: only MFA-authenticated requests match');
    if (s.effect === 'Allow' && vals.includes('false')) add('warning', 'mfa-allow-inverted', s, c.at,
      `Allow with ${on} "false" admits callers precisely when they did not use MFA`,
      'to require MFA, use "Bool": {"aws:MultiFactorAuthPresent": "true"}');
    return;
  }
  if (c.lkey !== AGE || c.base === 'null') return;
  if (!c.base.startsWith('numeric')) {
    add('error', 'mfa-age-operator', s, c.at, `${on}: the age is a number of seconds, and ${c.op} does not compare ` +
      `numbers${c.base.startsWith('string') ? ' ("900" < "3600" is false as text)' : ''}`, s.effect === 'Deny' ?
      'use "NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": "3600"}' :
      'use "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}');
    return;
  }
  const bad = c.values.filter((v) => !/^\d+$/.test(v));
  if (bad.length) add('error', 'mfa-age-value', s, c.at, `${on} compares with ${bad.map(q).join(', ')}: the age is ` +
    'a whole number of seconds (no units, no policy variables), so that never matches', 'write seconds, e.g. "3600"');
  const greater = c.base.startsWith('numericgreaterthan'), less = c.base.startsWith('numericlessthan');
  if (s.effect === 'Deny' && greater && !c.ifExists) add('error', 'mfa-age-deny-no-ifexists', s, c.at,
    `Deny with ${on}: the key is absent without MFA, so this Deny never fires for long-term keys or sessions without ` +
    'MFA, which are then held to no age at all', `use "${c.op}IfExists": an absent age then counts as too old`);
  if (s.effect === 'Allow' && c.ifExists) add('warning', 'mfa-age-ifexists-allow', s, c.at, `Allow with ${on}: the ` +
    'key is absent without MFA, and IfExists counts that as a match, so this Allow admits callers without MFA',
  `use "${c.op.replace(/IfExists$/i, '')}": only MFA sessions have an age`);
  if ((s.effect === 'Deny' && less) || (s.effect === 'Allow' && greater)) add('warning', 'mfa-age-inverted', s, c.at,
    `${s.effect} with ${on} ${s.effect === 'Deny' ? 'denies recent' : 'allows only old'} MFA sessions`,
    s.effect === 'Deny' ? 'to deny stale MFA, use "NumericGreaterThanIfExists"' :
      'to require recent MFA, use "NumericLessThan"');
}
