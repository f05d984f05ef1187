// Identity policies enforced on the wire: the JS SDK over HTTP against the local endpoint. The seed
// user's own key may manage its own MFA device and nothing else; session credentials follow STS's
// rules; role sessions get their role's policies; ForceMFA, once attached, denies by name; --open
// turns it all off; Simulate* answers from the same engine.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CreateAccessKeyCommand, CreateUserCommand, CreateVirtualMFADeviceCommand, DeactivateMFADeviceCommand,
  EnableMFADeviceCommand, ListMFADevicesCommand, ListUsersCommand, SimulateCustomPolicyCommand,
  SimulatePrincipalPolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand } from '@aws-sdk/client-sts';
import {
  attach, codeAt, credsOf, failure, localAws, putInline, seedOf, STEP0, type Local,
} from './helpers.js';

const ACCT = '123456789012';
const USER = 'kjh-SuperDuperUser';
const USER_ARN = `arn:aws:iam::${ACCT}:user/service-user/${USER}`;
const SERIAL = `arn:aws:iam::${ACCT}:mfa/service-user/${USER}`;
const ROLE = `arn:aws:iam::${ACCT}:role/kjh-DuperRole`;
const FORCE_MFA = `arn:aws:iam::${ACCT}:policy/ForceMFA`;
const implicit = (who: string, action: string, resource: string) =>
  `User: ${who} is not authorized to perform: ${action} on resource: ${resource} ` +
  `because no identity-based policy allows the ${action} action`;
const explicit = (who: string, action: string, resource: string, policy?: string) =>
  `User: ${who} is not authorized to perform: ${action} on resource: ${resource} ` +
  `with an explicit deny in an identity-based policy${policy ? `: ${policy}` : ''}`;

let l: Local;
let seed = '';
let step = STEP0;
/** The next unused code of the seed user's device (codes are single-use per step). */
const nextCode = async () => { await l.clock.sleep(30_000); return codeAt(seed, ++step); };

const S = suite("local IAM/STS enforcement: the seed user's own key, sessions and roles");
S.before(async () => { l = await localAws(); });
S.after(async () => { await l.done(); });

S('the seed key creates and enables its own device (SelfManageMFA allows it)', async () => {
  const iam = l.iam(l.creds);
  const d = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: USER, Path: '/service-user/' }));
  assert.is(d.VirtualMFADevice!.SerialNumber, SERIAL);
  seed = seedOf(d.VirtualMFADevice!.Base32StringSeed);
  await iam.send(new EnableMFADeviceCommand({ UserName: USER, SerialNumber: SERIAL,
    AuthenticationCode1: codeAt(seed, STEP0), AuthenticationCode2: codeAt(seed, STEP0 + 1) }));
  step = STEP0 + 1;
  const mine = await iam.send(new ListMFADevicesCommand({}));
  assert.equal(mine.MFADevices!.map((m) => m.SerialNumber), [SERIAL]);
  assert.ok((await iam.send(new ListUsersCommand({}))).Users!.length >= 2);
});

S('the seed key may not create users or access keys, nor enable a device on another user: ' +
  'AccessDenied 403', async () => {
  const iam = l.iam(l.creds);
  const u = await failure(iam.send(new CreateUserCommand({ UserName: 'mallory' })));
  assert.is(u.name, 'AccessDenied');
  assert.is(u.$metadata.httpStatusCode, 403);
  assert.is(u.message, implicit(USER_ARN, 'iam:CreateUser', `arn:aws:iam::${ACCT}:user/mallory`));
  const k = await failure(iam.send(new CreateAccessKeyCommand({ UserName: 'local-admin' })));
  assert.is(k.message, implicit(USER_ARN, 'iam:CreateAccessKey', `arn:aws:iam::${ACCT}:user/local-admin`));
  const own = await failure(iam.send(new CreateAccessKeyCommand({})));
  assert.is(own.message, implicit(USER_ARN, 'iam:CreateAccessKey', USER_ARN));
  const d = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'for-admin' }));
  const s = seedOf(d.VirtualMFADevice!.Base32StringSeed);
  const e = await failure(iam.send(new EnableMFADeviceCommand({
    UserName: 'local-admin', SerialNumber: d.VirtualMFADevice!.SerialNumber,
    AuthenticationCode1: codeAt(s, STEP0), AuthenticationCode2: codeAt(s, STEP0 + 1) })));
  assert.is(e.message, implicit(USER_ARN, 'iam:EnableMFADevice', `arn:aws:iam::${ACCT}:user/local-admin`));
  // Nothing was made on the way.
  const users = await l.iam().send(new ListUsersCommand({}));
  assert.not.ok(users.Users!.some((x) => x.UserName === 'mallory'));
});

S('GetSessionToken without MFA: IAM answers InvalidClientTokenId (no period); ' +
  'with MFA the user may deactivate its device', async () => {
  const plain = credsOf((await l.sts().send(new GetSessionTokenCommand({}))).Credentials);
  for (const call of [
    new ListMFADevicesCommand({}), new DeactivateMFADeviceCommand({ UserName: USER, SerialNumber: SERIAL }),
  ]) {
    const e = await failure(l.iam(plain).send(call as never));
    assert.is(e.name, 'InvalidClientTokenId');
    assert.is(e.message, 'The security token included in the request is invalid');
    assert.is(e.$metadata.httpStatusCode, 403);
  }
  // STS still answers them: who am I, and AssumeRole.
  assert.is((await l.sts(plain).send(new GetCallerIdentityCommand({}))).Arn, USER_ARN);
  // The long-term key may not deactivate either: the statement needs MultiFactorAuthPresent "true".
  const long = await failure(l.iam(l.creds).send(
    new DeactivateMFADeviceCommand({ UserName: USER, SerialNumber: SERIAL })));
  assert.is(long.message, implicit(USER_ARN, 'iam:DeactivateMFADevice', USER_ARN));
  const mfa = credsOf((await l.sts().send(new GetSessionTokenCommand({
    SerialNumber: SERIAL, TokenCode: await nextCode(),
  }))).Credentials);
  const other = await failure(l.iam(mfa).send(new CreateUserCommand({ UserName: 'mallory' })));
  assert.is(other.message, implicit(USER_ARN, 'iam:CreateUser', `arn:aws:iam::${ACCT}:user/mallory`));
  await l.iam(mfa).send(new DeactivateMFADeviceCommand({ UserName: USER, SerialNumber: SERIAL }));
  assert.equal((await l.iam(l.creds).send(new ListMFADevicesCommand({}))).MFADevices, []);
  // Enable it again for the suites below.
  await l.iam(l.creds).send(new EnableMFADeviceCommand({ UserName: USER, SerialNumber: SERIAL,
    AuthenticationCode1: await nextCode(), AuthenticationCode2: await nextCode() }));
});

S('a role session has its role\'s policies: none, so CreateUser is denied naming the assumed-role ARN; ' +
  'GetCallerIdentity needs none', async () => {
  const a = await l.sts().send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 'lab', SerialNumber: SERIAL, TokenCode: await nextCode(),
  }));
  const role = credsOf(a.Credentials);
  const who = `arn:aws:sts::${ACCT}:assumed-role/kjh-DuperRole/lab`;
  assert.is((await l.sts(role).send(new GetCallerIdentityCommand({}))).Arn, who);
  const e = await failure(l.iam(role).send(new CreateUserCommand({ UserName: 'mallory' })));
  assert.is(e.message, implicit(who, 'iam:CreateUser', `arn:aws:iam::${ACCT}:user/mallory`));
  const list = await failure(l.iam(role).send(new ListUsersCommand({})));
  assert.is(list.message, implicit(who, 'iam:ListUsers', `arn:aws:iam::${ACCT}:user/`));
});

S('with ForceMFA attached: non-MFA calls outside the listed MFA actions get the explicit deny, ' +
  'naming the policy', async () => {
  await l.edit(attach('users', USER, FORCE_MFA));
  const k = await failure(l.iam(l.creds).send(new CreateAccessKeyCommand({})));
  assert.is(k.message, explicit(USER_ARN, 'iam:CreateAccessKey', USER_ARN, FORCE_MFA));
  // Enrollment stays open to the long-term key: the one thing a stolen key can still do.
  await l.iam(l.creds).send(new ListMFADevicesCommand({}));
  await l.iam(l.creds).send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'second' }));
  // The seed post's denial (AssumeRole without MFA) now names the explicit deny.
  const ar = await failure(l.sts().send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'nomfa' })));
  assert.is(ar.message, explicit(USER_ARN, 'sts:AssumeRole', ROLE, FORCE_MFA));
  // With a code, the request carries MFA: the trust policy admits it and the Deny does not apply.
  const ok = await l.sts().send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 'mfa', SerialNumber: SERIAL, TokenCode: await nextCode(),
  }));
  assert.ok(ok.Credentials);
  // GetCallerIdentity needs no permission, even under an explicit Deny of it.
  await l.edit(putInline('users', USER, 'no-whoami', {
    Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'sts:*', Resource: '*' }],
  }));
  assert.is((await l.sts().send(new GetCallerIdentityCommand({}))).Arn, USER_ARN);
  // An explicit identity Deny beats a trust policy that names the user.
  const denied = await failure(l.sts().send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 'denied', SerialNumber: SERIAL, TokenCode: await nextCode(),
  })));
  assert.is(denied.message, explicit(USER_ARN, 'sts:AssumeRole', ROLE));
});

S('an inline Allow on a role lets its session do exactly that', async () => {
  await l.edit(putInline('roles', 'kjh-DuperRole', 'users', {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'iam:CreateUser', Resource: 'arn:aws:iam::*:user/lab-*' }],
  }));
  await l.edit((s) => {
    delete s.users[USER]!.inline;
    s.users[USER]!.attached = s.users[USER]!.attached!.filter((a) => a !== FORCE_MFA);
  });
  const role = credsOf((await l.sts().send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 'lab2', SerialNumber: SERIAL, TokenCode: await nextCode(),
  }))).Credentials);
  await l.iam(role).send(new CreateUserCommand({ UserName: 'lab-1' }));
  const e = await failure(l.iam(role).send(new CreateUserCommand({ UserName: 'prod-1' })));
  assert.is(e.name, 'AccessDenied');
});

const Sim = suite('SimulatePrincipalPolicy and SimulateCustomPolicy: the enforcing engine, offline');
Sim.before(async () => { l = await localAws(); });
Sim.after(async () => { await l.done(); });

Sim("the seed user's policy: own device allowed, others' and CreateUser not; " +
  'Deactivate only with MFA in ContextEntries', async () => {
  const r = await l.iam().send(new SimulatePrincipalPolicyCommand({
    PolicySourceArn: USER_ARN, ActionNames: ['iam:EnableMFADevice', 'iam:CreateUser'],
    ResourceArns: [USER_ARN, `arn:aws:iam::${ACCT}:user/other`],
  }));
  assert.equal(r.EvaluationResults!.map((x) => [x.EvalActionName, x.EvalResourceName, x.EvalDecision]), [
    ['iam:EnableMFADevice', USER_ARN, 'allowed'],
    ['iam:EnableMFADevice', `arn:aws:iam::${ACCT}:user/other`, 'implicitDeny'],
    ['iam:CreateUser', USER_ARN, 'implicitDeny'], ['iam:CreateUser', `arn:aws:iam::${ACCT}:user/other`, 'implicitDeny'],
  ]);
  assert.equal(r.EvaluationResults![0]!.MatchedStatements,
    [{ SourcePolicyId: `arn:aws:iam::${ACCT}:policy/SelfManageMFA`, SourcePolicyType: 'user-managed' }]);
  const without = await l.iam().send(new SimulatePrincipalPolicyCommand({
    PolicySourceArn: USER_ARN, ActionNames: ['iam:DeactivateMFADevice'], ResourceArns: [USER_ARN],
  }));
  assert.is(without.EvaluationResults![0]!.EvalDecision, 'implicitDeny');
  assert.equal(without.EvaluationResults![0]!.MissingContextValues, ['aws:MultiFactorAuthPresent']);
  const withMfa = await l.iam().send(new SimulatePrincipalPolicyCommand({
    PolicySourceArn: USER_ARN, ActionNames: ['iam:DeactivateMFADevice'], ResourceArns: [USER_ARN],
    ContextEntries: [
      { ContextKeyName: 'aws:MultiFactorAuthPresent', ContextKeyValues: ['true'], ContextKeyType: 'boolean' },
    ],
  }));
  assert.is(withMfa.EvaluationResults![0]!.EvalDecision, 'allowed');
});

Sim('SimulateCustomPolicy: an MFA-age limit with a numeric context entry; explicit deny lists only the Deny; ' +
  'paging', async () => {
  const age = JSON.stringify({ Version: '2012-10-17', Statement: [{
    Effect: 'Allow', Action: 'ec2:*', Resource: '*',
    Condition: { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } },
  }] });
  const deny = JSON.stringify({
    Version: '2012-10-17', Statement: [{ Sid: 'no', Effect: 'Deny', Action: 'ec2:TerminateInstances', Resource: '*' }],
  });
  const sim = (n: string) => l.iam().send(new SimulateCustomPolicyCommand({
    PolicyInputList: [age, deny], ActionNames: ['ec2:RunInstances', 'ec2:TerminateInstances'],
    ContextEntries: [{ ContextKeyName: 'aws:MultiFactorAuthAge', ContextKeyValues: [n], ContextKeyType: 'numeric' }],
  }));
  const fresh = await sim('60');
  assert.equal(fresh.EvaluationResults!.map((x) => [x.EvalResourceName, x.EvalDecision]),
    [['*', 'allowed'], ['*', 'explicitDeny']]);
  assert.equal(fresh.EvaluationResults![1]!.MatchedStatements,
    [{ SourcePolicyId: 'PolicyInputList.2', SourcePolicyType: 'none' }]);
  assert.is((await sim('7200')).EvaluationResults![0]!.EvalDecision, 'implicitDeny');
  const p1 = await l.iam().send(new SimulateCustomPolicyCommand({
    PolicyInputList: [age], ActionNames: ['ec2:A', 'ec2:B', 'ec2:C'], MaxItems: 2,
  }));
  assert.is(p1.EvaluationResults!.length, 2);
  assert.ok(p1.IsTruncated);
  const p2 = await l.iam().send(new SimulateCustomPolicyCommand({
    PolicyInputList: [age], ActionNames: ['ec2:A', 'ec2:B', 'ec2:C'], MaxItems: 2, Marker: p1.Marker,
  }));
  assert.equal(p2.EvaluationResults!.map((x) => x.EvalActionName), ['ec2:C']);
  assert.not.ok(p2.IsTruncated);
});

Sim('Simulate* needs its own permission: the seed key is refused; bad JSON is MalformedPolicyDocument', async () => {
  const e = await failure(l.iam(l.creds).send(new SimulateCustomPolicyCommand({
    PolicyInputList: ['{}'], ActionNames: ['iam:GetUser'],
  })));
  assert.is(e.message, `User: ${USER_ARN} is not authorized to perform: iam:SimulateCustomPolicy ` +
    'because no identity-based policy allows the iam:SimulateCustomPolicy action');
  const m = await failure(l.iam().send(new SimulateCustomPolicyCommand({
    PolicyInputList: ['{nope'], ActionNames: ['iam:GetUser'],
  })));
  assert.is(m.name, 'MalformedPolicyDocumentException');
  const n = await failure(l.iam().send(new SimulatePrincipalPolicyCommand({
    PolicySourceArn: `arn:aws:iam::${ACCT}:user/ghost`, ActionNames: ['iam:GetUser'],
  })));
  assert.is(n.name, 'NoSuchEntityException');
});

const O = suite('local-aws --open: every signed caller may call every action');
O('the seed key creates users and keys; trust policies still hold', async () => {
  const o = await localAws({ open: true });
  try {
    await o.iam(o.creds).send(new CreateUserCommand({ UserName: 'anyone' }));
    await o.iam(o.creds).send(new CreateAccessKeyCommand({ UserName: 'anyone' }));
    const plain = credsOf((await o.sts().send(new GetSessionTokenCommand({}))).Credentials);
    await o.iam(plain).send(new ListUsersCommand({}));
    const e = await failure(o.sts().send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'nomfa' })));
    assert.is(e.message, `User: ${USER_ARN} is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`);
  } finally { await o.done(); }
});

S.run(); Sim.run(); O.run();
