// `provision policy check`: AWS's documented MFA policies and the traps around them, in-process
// (table-driven), through the CLI process (exit codes, text, --json, unreadable and oversized files),
// and a seeded mutation fuzz: whatever the bytes, the checker answers with findings, never a throw.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkPolicy, formatFinding, MAX_POLICY_BYTES, type Finding } from '../../../provision/policy/check.js';
import { PROVISION, node, run, tempDir } from '../../helpers.js';
import { rng } from '../../device/core/rng.js';
import { hitModules, weigh } from '../modules.js';
import { FORCE_MFA_POLICY, SELF_MANAGE_MFA } from '../../../provision/local/fixture.js';

type S = Record<string, unknown>;
const doc = (statements: S[], version: string | null = '2012-10-17') =>
  JSON.stringify({ ...(version ? { Version: version } : {}), Statement: statements }, null, 2);

// 5.1 "IAM: Allows IAM users to self-manage an MFA device", the live IAM User Guide page
// reference_policies_examples_iam_mfa-selfmanage (awsdocs/iam-user-guide@149cf97, plus iam:GetMFADevice).
const LIST: S = {
  Sid: 'AllowListActions', Effect: 'Allow', Action: ['iam:ListUsers', 'iam:ListVirtualMFADevices'], Resource: '*',
};
const CREATE: S = { Sid: 'AllowUserToCreateVirtualMFADevice', Effect: 'Allow', Action: ['iam:CreateVirtualMFADevice'],
  Resource: 'arn:aws:iam::*:mfa/*' };
const MANAGE: S = { Sid: 'AllowUserToManageTheirOwnMFA', Effect: 'Allow',
  Action: ['iam:EnableMFADevice', 'iam:GetMFADevice', 'iam:ListMFADevices', 'iam:ResyncMFADevice'],
  Resource: 'arn:aws:iam::*:user/${aws:username}' };
const DEACTIVATE: S = { Sid: 'AllowUserToDeactivateTheirOwnMFAOnlyWhenUsingMFA', Effect: 'Allow',
  Action: ['iam:DeactivateMFADevice'], Resource: ['arn:aws:iam::*:user/${aws:username}'],
  Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } };
const BLOCK_ACTIONS = ['iam:CreateVirtualMFADevice', 'iam:EnableMFADevice', 'iam:ListMFADevices', 'iam:ListUsers',
  'iam:ListVirtualMFADevices', 'iam:ResyncMFADevice'];
const BLOCK: S = { Sid: 'BlockMostAccessUnlessSignedInWithMFA', Effect: 'Deny', NotAction: BLOCK_ACTIONS, Resource: '*',
  Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } };
const P51 = doc([LIST, CREATE, MANAGE, DEACTIVATE, BLOCK]);
// 5.2: the 2018-11-30 to 2022-02-17 version of the same page (awsdocs/iam-user-guide@f774f91..b22b3d3).
const P52 = doc([LIST,
  { Sid: 'AllowIndividualUserToListOnlyTheirOwnMFA', Effect: 'Allow', Action: ['iam:ListMFADevices'],
    Resource: ['arn:aws:iam::*:mfa/*', 'arn:aws:iam::*:user/${aws:username}'] },
  { Sid: 'AllowIndividualUserToManageTheirOwnMFA', Effect: 'Allow',
    Action: ['iam:CreateVirtualMFADevice', 'iam:DeleteVirtualMFADevice', 'iam:EnableMFADevice', 'iam:ResyncMFADevice'],
    Resource: ['arn:aws:iam::*:mfa/${aws:username}', 'arn:aws:iam::*:user/${aws:username}'] },
  { Sid: 'AllowIndividualUserToDeactivateOnlyTheirOwnMFAOnlyWhenUsingMFA', Effect: 'Allow',
    Action: ['iam:DeactivateMFADevice'],
    Resource: ['arn:aws:iam::*:mfa/${aws:username}', 'arn:aws:iam::*:user/${aws:username}'],
    Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } },
  BLOCK]);
// 5.3: the Deny of "AWS: Allows MFA-authenticated IAM users to manage their own credentials on the
// Security credentials page" (UG23 reference_policies_examples_aws_my-sec-creds-self-manage).
const P53 = doc([{ Sid: 'DenyAllExceptListedIfNoMFA', Effect: 'Deny', NotAction: ['iam:CreateVirtualMFADevice',
  'iam:EnableMFADevice', 'iam:GetUser', 'iam:ListMFADevices', 'iam:ListVirtualMFADevices', 'iam:ResyncMFADevice',
  'sts:GetSessionToken'], Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } }]);
// 5.4: UG23 reference_policies_elements_notaction.
const DENY_54: S = { Sid: 'DenyAllUsersNotUsingMFA', Effect: 'Deny', NotAction: 'iam:*', Resource: '*',
  Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } };
// 5.5: MFA age, UG id_credentials_mfa_sample-policies Example 1 (awsdocs/iam-user-guide@248e03a).
const P55 = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ec2:*'], Resource: ['*'],
  Condition: { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } } }] });
const TRUST = doc([{ Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::123456789012:user/service-user/kjh-SuperDuperUser' },
  Action: 'sts:AssumeRole', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } }]);
const with_ = (s: S, patch: S) => ({ ...s, ...patch });

interface Row {
  name: string;
  text: string;
  /** Exactly these codes, in any order (a code may repeat). */
  codes: string[];
  /** code → what its finding must name: its statement, and words of its message or fix. */
  says?: Record<string, { statement?: string; words?: RegExp }>;
}

const ROWS: Row[] = [
  { name: '5.1 self-manage MFA, whole: no error; the stolen-key enrollment (info), GetSessionToken denied without MFA',
    text: P51,
    codes: ['stolen-key-enrolls', 'deny-blocks-session', 'self-manage-root-path-only', 'self-manage-root-path-only'],
    says: { 'stolen-key-enrolls': { statement: 'AllowUserToCreateVirtualMFADevice + AllowUserToManageTheirOwnMFA',
      words: /stolen long-term|steals the key.*enroll an MFA device of their own/ },
    'deny-blocks-session': { statement: 'BlockMostAccessUnlessSignedInWithMFA', words: /sts:GetSessionToken/ } } },
  { name: '5.2 the 2018-2022 self-manage version: the same two, DeleteVirtualMFADevice on mfa/${aws:username} is fine',
    text: P52, codes: ['stolen-key-enrolls', 'deny-blocks-session',
      'self-manage-root-path-only', 'self-manage-root-path-only', 'self-manage-root-path-only'] },
  { name: '5.3 DenyAllExceptListedIfNoMFA: nothing to say', text: P53, codes: [] },
  { name: '5.4 DenyAllUsersNotUsingMFA: only GetSessionToken', text: doc([DENY_54]), codes: ['deny-blocks-session'] },
  { name: '5.4 as printed, without Version: an info about Version', text: doc([DENY_54], null),
    codes: ['deny-blocks-session', 'no-version'] },
  { name: '5.5 MFA age under NumericLessThan: nothing to say', text: P55, codes: [] },
  { name: 'the seed role\'s trust policy (Principal, Bool "true"): nothing to say', text: TRUST, codes: [] },
  { name: '5.1 with Bool instead of BoolIfExists in its Deny: an error naming the statement',
    text: doc([LIST, CREATE, MANAGE, DEACTIVATE,
      with_(BLOCK, { Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } } })]),
    codes: ['stolen-key-enrolls', 'mfa-bool-deny', 'self-manage-root-path-only', 'self-manage-root-path-only'],
    says: {
      'mfa-bool-deny': { statement: 'BlockMostAccessUnlessSignedInWithMFA', words: /long-term.*BoolIfExists/ },
    } },
  { name: '5.1 with user/* instead of user/${aws:username}: an error (writes) and a warning (reads)',
    text: doc([LIST, CREATE, with_(MANAGE, { Resource: 'arn:aws:iam::*:user/*' }), DEACTIVATE, BLOCK]),
    codes: ['stolen-key-enrolls', 'deny-blocks-session', 'self-manage-any-user', 'self-manage-any-user',
      'self-manage-root-path-only'],
    says: { 'self-manage-any-user': { statement: 'AllowUserToManageTheirOwnMFA',
      words: /iam:EnableMFADevice, iam:ResyncMFADevice.*user\/\$\{aws:username\}/ } } },
  { name: 'a self-manage statement on Resource "*": an error', text: doc([with_(DEACTIVATE, { Resource: '*' })]),
    codes: ['self-manage-any-user'] },
  { name: 'an administrator\'s iam:* on "*" is not a self-manage statement',
    text: doc([{ Effect: 'Allow', Action: 'iam:*', Resource: '*',
      Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } }]), codes: [] },
  { name: 'a Deny whose NotAction lacks iam:EnableMFADevice: an error naming it',
    text: doc([LIST, CREATE, MANAGE, DEACTIVATE,
      with_(BLOCK, { NotAction: BLOCK_ACTIONS.filter((a) => a !== 'iam:EnableMFADevice') })]),
    codes: ['deny-blocks-enrollment', 'deny-blocks-session', 'self-manage-root-path-only',
      'self-manage-root-path-only'],
    says: { 'deny-blocks-enrollment': { statement: 'BlockMostAccessUnlessSignedInWithMFA',
      words: /denies iam:EnableMFADevice,/ } } },
  { name: 'an unconditional Deny of iam:* names all five enrollment calls',
    text: doc([{ Sid: 'NoIam', Effect: 'Deny', Action: 'iam:*', Resource: '*' }]), codes: ['deny-blocks-enrollment'],
    says: { 'deny-blocks-enrollment': { statement: 'NoIam', words: new RegExp('iam:CreateVirtualMFADevice, ' +
      'iam:EnableMFADevice, iam:ListMFADevices, iam:ListVirtualMFADevices, iam:ResyncMFADevice') } } },
  { name: 'MFA age under StringLessThan (no such operator): an MFA-age error',
    text: doc([{ Sid: 'Ec2', Effect: 'Allow', Action: 'ec2:*', Resource: '*',
      Condition: { StringLessThan: { 'aws:MultiFactorAuthAge': '3600' } } }]),
    codes: ['mfa-age-operator'], says: { 'mfa-age-operator': { statement: 'Ec2', words: /NumericLessThan/ } } },
  { name: 'MFA age under StringEquals: an error', text: doc([{ Effect: 'Allow', Action: 'ec2:*', Resource: '*',
    Condition: { StringEquals: { 'aws:MultiFactorAuthAge': '3600' } } }]), codes: ['mfa-age-operator'],
  says: { 'mfa-age-operator': { statement: 'Statement[0]' } } },
  { name: 'MFA age "1h": an error', text: doc([{ Effect: 'Allow', Action: 'ec2:*', Resource: '*',
    Condition: { NumericLessThan: { 'aws:MultiFactorAuthAge': '1h' } } }]), codes: ['mfa-age-value'] },
  { name: 'a Deny on NumericGreaterThan age without IfExists: an error; with IfExists: nothing',
    text: doc([{ Sid: 'Old', Effect: 'Deny', Action: 's3:*', Resource: '*',
      Condition: { NumericGreaterThan: { 'aws:MultiFactorAuthAge': '1800' } } },
    { Sid: 'Fine', Effect: 'Deny', Action: 's3:*', Resource: '*',
      Condition: { NumericGreaterThanIfExists: { 'aws:MultiFactorAuthAge': '1800' } } }]),
    codes: ['mfa-age-deny-no-ifexists'],
    says: { 'mfa-age-deny-no-ifexists': { statement: 'Old', words: /NumericGreaterThanIfExists/ } } },
  { name: 'an Allow with BoolIfExists "true" admits long-term keys: a warning',
    text: doc([{ Sid: 'S3', Effect: 'Allow', Action: 's3:*', Resource: '*',
      Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'true' } } }]),
    codes: ['mfa-ifexists-allow'] },
  { name: 'condition key names are case-insensitive', text: doc([with_(BLOCK, { NotAction: 'iam:*',
    Condition: { Bool: { 'AWS:multifactorauthpresent': 'false' } } })]), codes: ['mfa-bool-deny'] },
  { name: 'Bool against "yes" never matches: an error', text: doc([with_(DEACTIVATE, {
    Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'yes' } } })]),
  codes: ['mfa-bool-value', 'self-manage-root-path-only'] },
  { name: 'DeactivateMFADevice without an MFA condition: a warning',
    text: doc([with_(DEACTIVATE, { Condition: undefined })]),
    codes: ['deactivate-without-mfa', 'self-manage-root-path-only'] },
  { name: '${aws:username} without Version 2012-10-17: an error (the variable is literal)',
    text: doc([MANAGE], '2008-10-17'),
    codes: ['variable-without-version'] },
  { name: 'not JSON: where, as line:column', text: '{\n  "Version": "2012-10-17",\n  "Statement": [\n  ,]\n}',
    codes: ['not-json'], says: { 'not-json': { statement: '(policy)', words: /line 4, column 3/ } } },
  { name: 'no Statement', text: '{"Version": "2012-10-17"}', codes: ['no-statement'] },
  { name: 'a JSON array is not a policy', text: '[]', codes: ['not-object'] },
  { name: 'Effect "allow": IAM is case-sensitive', text: doc([with_(LIST, { Effect: 'allow' })]), codes: ['bad-effect'],
    says: { 'bad-effect': { words: /"Allow"/ } } },
  { name: 'an unknown condition operator',
    text: doc([with_(DEACTIVATE, { Condition: { BoolIfExist: { 'aws:MultiFactorAuthPresent': 'true' } } })]),
    codes: ['unknown-operator', 'deactivate-without-mfa', 'self-manage-root-path-only'] },
  { name: 'Principal in an identity policy', text: doc([with_(LIST, { Principal: '*' })]),
    codes: ['principal-in-identity-policy'] },
  { name: 'a duplicate key, which JSON.parse would lose silently (here the last, empty block wins: the Deny is ' +
      'unconditional)',
    text: '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*",\n' +
      '"Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}, "BoolIfExists": {}}}]}',
    codes: ['duplicate-key', 'deny-blocks-session'] },
  { name: 'nesting 100,000 deep is refused, not a stack overflow', text: '['.repeat(100_000), codes: ['not-json'] },
  { name: 'a text over the cap is refused before parsing', text: ' '.repeat(MAX_POLICY_BYTES + 1),
    codes: ['too-large'] },
];

const T = suite('provision policy check, in-process: AWS\'s MFA policies and the traps');
for (const r of ROWS) {
  T(r.name, () => {
    const got = checkPolicy(r.text, 'p.json');
    assert.equal(got.map((f) => f.code).sort(), [...r.codes].sort(), got.map(formatFinding).join('\n'));
    for (const [code, want] of Object.entries(r.says ?? {})) {
      const f = got.find((x) => x.code === code)!;
      if (want.statement) assert.is(f.statement, want.statement);
      if (want.words) assert.match(`${f.message}; ${f.fix}`, want.words);
    }
    for (const f of got) {
      assert.ok(f.message && f.fix, `message and fix: ${formatFinding(f)}`);
      assert.not.match(formatFinding(f), /\n/, 'one line');
    }
  });
}

T('a finding cites the line of the condition it is about', () => {
  const text = doc([LIST, with_(BLOCK, { Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } } })]);
  const f = checkPolicy(text, 'p.json').find((x) => x.code === 'mfa-bool-deny')!;
  const line = text.split('\n').findIndex((l) => l.includes('"aws:MultiFactorAuthPresent"')) + 1;
  assert.is(f.line, line);
  assert.ok(formatFinding(f).startsWith(`p.json:${line}: error mfa-bool-deny BlockMostAccessUnlessSignedInWithMFA: `));
});

T('the policies the local endpoint ships (SelfManageMFA, ForceMFA) have no error, and SelfManageMFA names the ' +
  'stolen-key enrollment', () => {
  const self = checkPolicy(SELF_MANAGE_MFA.doc, 'SelfManageMFA'), force = checkPolicy(FORCE_MFA_POLICY.doc, 'ForceMFA');
  assert.equal([...self, ...force].filter((f) => f.severity === 'error'), []);
  assert.ok(self.some((f) => f.code === 'stolen-key-enrolls'));
  assert.not.ok(self.some((f) => f.code === 'self-manage-root-path-only'), 'the fixture reaches users with a path');
});

T('user/${aws:username} beside user/*/${aws:username}: users with a path reach their own device, no warning', () => {
  const both = ['arn:aws:iam::*:user/${aws:username}', 'arn:aws:iam::*:user/*/${aws:username}'];
  const f = checkPolicy(doc([with_(DEACTIVATE, { Resource: both })]), 'p.json');
  assert.not.ok(f.some((x) => x.code === 'self-manage-root-path-only' || x.code === 'self-manage-any-user'),
    f.map(formatFinding).join('\n'));
});

T('an operator name holding a newline or carriage return is an unknown operator, not a crash (found by the fuzz)',
  () => {
  for (const op of ['Nume\rricLessThan', 'Bool\nIfExists']) {
    const f = checkPolicy(doc([{ Effect: 'Allow', Action: 'iam:ListUsers', Resource: '*',
      Condition: { [op]: { 'aws:MultiFactorAuthAge': '36' } } }]), 'p.json');
    assert.ok(f.some((x) => x.code === 'unknown-operator' || x.code === 'mfa-age-operator'),
      f.map(formatFinding).join('\n'));
  }
});

T('statements without a Sid are named by index', () => {
  const f = checkPolicy(doc([LIST, with_(DEACTIVATE, { Sid: undefined, Resource: 'arn:aws:iam::*:user/*' })]),
    'p.json');
  assert.is(f.find((x) => x.code === 'self-manage-any-user')?.statement, 'Statement[1]');
});

T('terminal controls in a key reach the text as escapes', () => {
  const f = checkPolicy(doc([with_(LIST, { 'Ac\u001b[31mtion': 'x' })]), 'p.json');
  const line = f.map(formatFinding).join('\n');
  assert.not.match(line, /\u001b/);
  assert.match(line, /\\u001b/);
});

T.run();

// ---- through the CLI process ----

const C = suite('provision policy check, the CLI process');
let dir = '', done = () => {};
C.before(() => {
  ({ dir, done } = tempDir('fob-policy-'));
  writeFileSync(join(dir, '51.json'), P51);
  writeFileSync(join(dir, 'bool.json'), doc([with_(BLOCK, {
    NotAction: 'iam:*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } },
  })]));
  writeFileSync(join(dir, 'broken.json'), '{"Version": "2012-10-17",\n "Statement": [}\n');
  writeFileSync(join(dir, 'big.json'), `{"Version": "2012-10-17", "Statement": []${' '.repeat(MAX_POLICY_BYTES)}}`);
  writeFileSync(join(dir, 'latin1.json'), Buffer.from([0x7b, 0xe9, 0x7d]));
  mkdirSync(join(dir, 'policies'));
});
C.after(() => done());
const env = { PATH: process.env.PATH, NO_COLOR: '1' };
const p = (args: string[], input?: string) => input === undefined
  ? node(PROVISION, ['policy', 'check', ...args], { cwd: dir, env }) :
  run(process.execPath, [PROVISION, 'policy', 'check', ...args], { cwd: dir, env, input });

C('AWS\'s self-manage policy: exit 0, the stolen-key enrollment as info, a summary line', async () => {
  const r = await p(['51.json']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '');
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.some((l) => /^51\.json:\d+: info stolen-key-enrolls /.test(l)), r.stdout);
  assert.is(lines.at(-1), '1 file checked: 0 errors, 3 warnings, 1 info');
});

C('Bool in a Deny: exit 1, one line naming the statement and the fix', async () => {
  const r = await p(['bool.json']);
  assert.is(r.code, 1);
  assert.match(r.stdout, new RegExp('^bool\\.json:\\d+: error mfa-bool-deny BlockMostAccessUnlessSignedInWithMFA: ' +
    '.*long-term.*; fix: use "BoolIfExists"', 'm'));
});

C('--json over several files: one array of {file, statement, code, severity, message, fix, line}', async () => {
  const r = await p(['51.json', 'bool.json', '--json']);
  assert.is(r.code, 1);
  const all = JSON.parse(r.stdout) as Finding[];
  assert.equal(new Set(all.map((f) => f.file)), new Set(['51.json', 'bool.json']));
  for (const f of all) {
    assert.equal(Object.keys(f), ['file', 'statement', 'code', 'severity', 'message', 'fix', 'line']);
  }
  assert.ok(all.some((f) => f.file === 'bool.json' && f.code === 'mfa-bool-deny' && f.severity === 'error'));
});

C('standard input with -', async () => {
  const r = await p(['-'], P53);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, '1 file checked: 0 errors, 0 warnings, 0 info\n');
});

C('not JSON: a finding with line:column, exit 1', async () => {
  const r = await p(['broken.json']);
  assert.is(r.code, 1);
  assert.match(r.stdout, /^broken\.json:2: error not-json \(policy\): not JSON: .* at line 2, column 16; fix: /m);
});

C('a file over the cap: one finding, not parsed, exit 1', async () => {
  const r = await p(['big.json']);
  assert.is(r.code, 1);
  assert.match(r.stdout, /^big\.json: error too-large \(policy\): \d+ bytes, over the 128 KiB/m);
});

C('a missing file, a directory, an unreadable and a non-UTF-8 file: one line each on stderr, exit 2, the rest ' +
  'checked', async () => {
  writeFileSync(join(dir, 'secret.json'), P53);
  chmodSync(join(dir, 'secret.json'), 0);
  const r = await p(['nope.json', 'policies', 'latin1.json', 'secret.json', '51.json']);
  assert.is(r.code, 2);
  const err = r.stderr.trim().split('\n');
  assert.match(err[0]!, /^provision: policy check: nope\.json: no such file: check the path/);
  assert.match(err[1]!, /^provision: policy check: policies: is a directory: name the policy files in it/);
  assert.match(err[2]!, /^provision: policy check: latin1\.json: not UTF-8/);
  // root reads a file of mode 0 all the same
  if (process.getuid?.() !== 0) assert.match(err[3]!, /^provision: policy check: secret\.json: permission denied/);
  assert.match(r.stdout, /stolen-key-enrolls/, 'the readable file was checked');
});

C('no file at all is a usage error', async () => {
  const r = await p([]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^provision: missing required argument 'files'/);
});

C('it loads neither the AWS SDK nor any chunk it does not need', () => {
  const urls = hitModules(dir, [PROVISION, 'policy', 'check', join(dir, '51.json')], env);
  const files = urls.filter((u) => u.startsWith('file:'));
  assert.not.ok(files.some((u) => /node_modules\/@aws-sdk|node_modules\/@smithy/.test(u)), files.join('\n'));
  // commander is the one heavy module: the SDK's service shapes must be absent from what loaded
  assert.equal(weigh(urls).heavy.filter((u) => !u.endsWith('/program.js')), [], files.join('\n'));
});

C.run();

// ---- mutation fuzz ----

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
const N = Number(process.env.FUZZ_N ?? 4000);
const F = suite('provision policy check, mutation fuzz');
const R = rng(SEED);
const BASES = [P51, P52, P53, P55, TRUST, doc([DENY_54], null)];
const BITS = ['{', '}', '[', ']', '"', ',', ':', '*', '?', '${', '${aws:username}', '\\', '\\u00', 'IfExists', 'Bool',
  'NotAction', 'Deny', 'Allow', '"aws:MultiFactorAuthAge"', '"Numeric', 'null', 'true', '1e999', '-', '\u0000',
  '\u202e', '\ud800', '__proto__', 'constructor', 'toString', '*'.repeat(300), '?*'.repeat(200)];
const VALUES: unknown[] = [null, true, 0, -1, 1e308, '', '*', '${aws:username}', '${', [], {}, [[]], { Bool: {} },
  ['*', 3], { 'aws:MultiFactorAuthPresent': ['true', 'false'] }, { NumericLessThan: { 'aws:MultiFactorAuthAge': [] } },
  '__proto__', { __proto__: null, constructor: 'x' }, 'a*'.repeat(500), { ForAllValues_Bool: 1 }];

function mutateText(t: string): string {
  const at = R.int(t.length + 1);
  switch (R.int(4)) {
    case 0: return t.slice(0, at) + t.slice(at + 1 + R.int(8));
    case 1: return t.slice(0, at) + R.pick(BITS) + t.slice(at);
    case 2: { const from = R.int(t.length); return t.slice(0, at) + t.slice(from, from + R.int(200)) + t.slice(at); }
    default: return t.slice(0, at);
  }
}

function mutateTree(v: unknown, depth = 0): unknown {
  if (R.next() < 0.08 || depth > 6) return R.next() < 0.5 ? structuredClone(R.pick(VALUES)) : v;
  if (Array.isArray(v)) return v.map((x) => mutateTree(x, depth + 1));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const key = R.next() < 0.05 ? R.pick(['Bool', 'BoolIfExists', 'ForAllValues:Bool', 'NumericGreaterThan',
        'StringLike', 'Null', 'Sid', 'Effect', 'NotResource', 'Principal', 'aws:multifactorauthage', 'Statement',
        k.toLowerCase()]) : k;
      out[key] = mutateTree(x, depth + 1);
    }
    return out;
  }
  return v;
}

F(`${N} mutated AWS policies: every one ends in well-formed findings, never a throw ` +
  `(seed ${SEED}; FUZZ_SEED replays it)`, () => {
  const SEV = new Set(['error', 'warning', 'info']);
  for (let i = 0; i < N; i++) {
    const base = R.pick(BASES);
    let text = R.next() < 0.5 ? JSON.stringify(mutateTree(JSON.parse(base)), null, R.int(3)) : base;
    for (let k = R.int(4); k > 0; k--) text = mutateText(text);
    let got: Finding[];
    try { got = checkPolicy(text, 'f.json'); } catch (e) {
      throw new Error(`seed ${SEED}, case ${i}: threw ${(e as Error).stack}\n` +
        `input: ${JSON.stringify(text.slice(0, 2000))}`);
    }
    for (const f of got) {
      assert.ok(SEV.has(f.severity) && f.code && f.statement && f.message && f.fix,
        `seed ${SEED}, case ${i}: ${JSON.stringify(f)}`);
      assert.ok(f.line === null || (Number.isInteger(f.line) && f.line >= 1), `line: ${f.line}`);
      assert.not.match(formatFinding(f), /[\n\r\u001b]/, `seed ${SEED}, case ${i}: one clean line`);
    }
    if (text.trim() === '' || !/^\s*\{/.test(text)) {
      assert.ok(got.length > 0, `seed ${SEED}, case ${i}: not an object, yet no finding`);
    }
  }
});

F('the worst cases for the matchers stay cheap: long wildcard runs against every probe', () => {
  const evil = doc([
    { Effect: 'Allow', Action: ['iam:' + '*a'.repeat(3000)], Resource: ['arn:aws:iam::*:user/' + '*a'.repeat(8000)] },
    { Effect: 'Deny', NotAction: ['*?'.repeat(5000)], Resource: '*' }]);
  assert.ok(evil.length < MAX_POLICY_BYTES);
  assert.ok(Array.isArray(checkPolicy(evil, 'e.json')));
});

F.run();
