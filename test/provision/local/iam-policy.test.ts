// Identity policies on the local endpoint through the JS SDK over HTTP, as the administrator:
// inline user and role policies, customer-managed policies and their versions, attachments,
// IAM's grammar and quotas with its own words, and all of it surviving a restart.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import {
  AttachRolePolicyCommand, AttachUserPolicyCommand, CreatePolicyCommand, CreatePolicyVersionCommand, CreateRoleCommand,
  CreateUserCommand, DeletePolicyCommand, DeletePolicyVersionCommand, DeleteRolePolicyCommand, DeleteUserPolicyCommand,
  DetachRolePolicyCommand, DetachUserPolicyCommand, GetPolicyCommand, GetPolicyVersionCommand, GetRolePolicyCommand,
  GetUserPolicyCommand, ListAttachedRolePoliciesCommand, ListAttachedUserPoliciesCommand, ListEntitiesForPolicyCommand,
  ListPoliciesCommand, ListPolicyVersionsCommand, ListRolePoliciesCommand, ListUserPoliciesCommand,
  PutRolePolicyCommand, PutUserPolicyCommand, SetDefaultPolicyVersionCommand, paginateListPolicies,
  paginateListUserPolicies, type IAMClient,
} from '@aws-sdk/client-iam';
import { PROVISION, oracle, tempDir } from '../../helpers.js';
import { exec, failure, localAws, type Local } from './helpers.js';

const ACCOUNT = '123456789012';
const SEED = 'kjh-SuperDuperUser';
const policy = (statement: object | object[], version: string | null = '2012-10-17') => JSON.stringify({
  ...(version === null ? {} : { Version: version }), Statement: statement,
});
const ALLOW_GET_USER = policy([{ Effect: 'Allow', Action: 'iam:GetUser', Resource: '*' }]);
/** A valid document of about `n` non-whitespace characters. */
const sized = (n: number) => {
  const base = policy([{ Sid: '', Effect: 'Allow', Action: 'iam:GetUser', Resource: '*' }]);
  return base.replace('"Sid":""', `"Sid":"${'a'.repeat(n - base.length)}"`);
};

async function session(): Promise<{ l: Local; iam: IAMClient }> {
  const l = await localAws();
  return {
    l, iam: l.iam({ accessKeyId: l.srv.fixture.adminAccessKeyId, secretAccessKey: l.srv.fixture.adminSecretAccessKey }),
  };
}

async function expectError(p: Promise<unknown>, code: string, status: number, message: string): Promise<void> {
  const e = await failure(p);
  assert.is(e.name.replace(/Exception$/, ''), code, e.message);
  assert.is(e.$metadata.httpStatusCode, status);
  assert.is(e.message, message);
}

// ---------------------------------------------------------------------------------------------
const I = suite('inline user and role policies');
let l: Local, iam: IAMClient;
I.before(async () => { ({ l, iam } = await session()); });
I.after(async () => { await l.done(); });

I('PutUserPolicy stores the document as sent; GetUserPolicy returns it percent-encoded per RFC 3986 (* as %2A), ' +
  'as AWS does', async () => {
  const doc = '{ "Version": "2012-10-17",\n  "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}] }';
  await iam.send(new PutUserPolicyCommand({ UserName: SEED, PolicyName: 'all-iam', PolicyDocument: doc }));
  const got = await iam.send(new GetUserPolicyCommand({ UserName: SEED, PolicyName: 'all-iam' }));
  assert.is(got.UserName, SEED);
  assert.is(got.PolicyName, 'all-iam');
  assert.ok(got.PolicyDocument!.startsWith('%7B%20%22Version%22'), got.PolicyDocument);
  assert.ok(got.PolicyDocument!.includes('%2A') && !got.PolicyDocument!.includes('*'));
  assert.is(decodeURIComponent(got.PolicyDocument!), doc);
  assert.equal((await iam.send(new ListUserPoliciesCommand({ UserName: SEED }))).PolicyNames, ['all-iam']);
  await iam.send(new DeleteUserPolicyCommand({ UserName: SEED, PolicyName: 'all-iam' }));
  assert.equal((await iam.send(new ListUserPoliciesCommand({ UserName: SEED }))).PolicyNames, []);
});

I('the role twins: PutRolePolicy, GetRolePolicy, ListRolePolicies, DeleteRolePolicy', async () => {
  await iam.send(new PutRolePolicyCommand({
    RoleName: 'kjh-DuperRole', PolicyName: 'read', PolicyDocument: ALLOW_GET_USER,
  }));
  await iam.send(new PutRolePolicyCommand({
    RoleName: 'kjh-DuperRole', PolicyName: 'read', PolicyDocument: ALLOW_GET_USER,
  }));
  const got = await iam.send(new GetRolePolicyCommand({ RoleName: 'kjh-DuperRole', PolicyName: 'read' }));
  assert.equal([got.RoleName, got.PolicyName, decodeURIComponent(got.PolicyDocument!)],
    ['kjh-DuperRole', 'read', ALLOW_GET_USER]);
  assert.equal((await iam.send(new ListRolePoliciesCommand({ RoleName: 'kjh-DuperRole' }))).PolicyNames, ['read']);
  await iam.send(new DeleteRolePolicyCommand({ RoleName: 'kjh-DuperRole', PolicyName: 'read' }));
  await expectError(iam.send(new GetRolePolicyCommand({ RoleName: 'kjh-DuperRole', PolicyName: 'read' })),
    'NoSuchEntity', 404, 'The role policy with name read cannot be found.');
});

I('unknown users, roles and policy names get NoSuchEntity 404 with IAM\'s texts', async () => {
  await expectError(
    iam.send(new PutUserPolicyCommand({ UserName: 'ghost', PolicyName: 'p', PolicyDocument: ALLOW_GET_USER })),
    'NoSuchEntity', 404, 'The user with name ghost cannot be found.');
  await expectError(iam.send(new ListRolePoliciesCommand({ RoleName: 'ghost' })), 'NoSuchEntity', 404,
    'The role with name ghost cannot be found.');
  await expectError(iam.send(new GetUserPolicyCommand({ UserName: SEED, PolicyName: 'nope' })), 'NoSuchEntity', 404,
    'The user policy with name nope cannot be found.');
  await expectError(iam.send(new DeleteUserPolicyCommand({ UserName: SEED, PolicyName: 'nope' })), 'NoSuchEntity', 404,
    'The user policy with name nope cannot be found.');
});

I('PolicyName, UserName and PolicyDocument are held to the model: pattern, lengths, characters', async () => {
  const e1 = await failure(iam.send(new PutUserPolicyCommand({
    UserName: SEED, PolicyName: 'a b', PolicyDocument: ALLOW_GET_USER,
  })));
  assert.is(e1.name, 'ValidationError');
  assert.match(e1.message, "Value 'a b' at 'policyName' failed to satisfy constraint: " +
    'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
  const e2 = await failure(iam.send(new GetUserPolicyCommand({
    UserName: 'u'.repeat(129), PolicyName: 'p'.repeat(129),
  })));
  assert.match(e2.message, '2 validation errors detected');
  const e3 = await failure(iam.send(new PutUserPolicyCommand({
    UserName: SEED, PolicyName: 'p', PolicyDocument: '{"\u0100"}',
  })));
  assert.match(e3.message, "at 'policyDocument' failed to satisfy constraint");
});

I('inline quota: 2,048 non-whitespace characters across one user\'s policies; a replaced policy counts once; ' +
  'whitespace is free', async () => {
  await iam.send(new PutUserPolicyCommand({ UserName: SEED, PolicyName: 'big', PolicyDocument: sized(1500) }));
  await iam.send(new PutUserPolicyCommand({ UserName: SEED, PolicyName: 'big', PolicyDocument: sized(1600) }));
  await iam.send(new PutUserPolicyCommand({
    UserName: SEED, PolicyName: 'small', PolicyDocument: sized(448) + ' '.repeat(5000),
  }));
  await expectError(
    iam.send(new PutUserPolicyCommand({ UserName: SEED, PolicyName: 'one-more', PolicyDocument: sized(200) })),
    'LimitExceeded', 409, `Maximum policy size of 2048 bytes exceeded for user ${SEED}`);
  await iam.send(new DeleteUserPolicyCommand({ UserName: SEED, PolicyName: 'big' }));
  await iam.send(new DeleteUserPolicyCommand({ UserName: SEED, PolicyName: 'small' }));
});

I('inline quota for a role is 10,240', async () => {
  await iam.send(new PutRolePolicyCommand({
    RoleName: 'kjh-DuperRole', PolicyName: 'a', PolicyDocument: sized(10_000),
  }));
  await expectError(
    iam.send(new PutRolePolicyCommand({ RoleName: 'kjh-DuperRole', PolicyName: 'b', PolicyDocument: sized(300) })),
    'LimitExceeded', 409, 'Maximum policy size of 10240 bytes exceeded for role kjh-DuperRole');
  await iam.send(new DeleteRolePolicyCommand({ RoleName: 'kjh-DuperRole', PolicyName: 'a' }));
});

const MALFORMED: [string, string, string][] = [
  ['text that is not JSON', 'file://policy.json', 'This policy contains invalid Json'],
  ['JSON with a trailing comma',
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*",}]}',
    'Syntax errors in policy.'],
  ['no Statement', policy([]).replace('"Statement":[]', '"Id":"x"'), 'Syntax errors in policy.'],
  ['an empty Statement list', policy([]), 'Syntax errors in policy.'],
  ['an Effect that is neither Allow nor Deny', policy([{ Effect: 'Permit', Action: 's3:*', Resource: '*' }]),
    'Syntax errors in policy.'],
  ['an unknown top-level element', JSON.stringify({ Version: '2012-10-17', Statment: [] }), 'Syntax errors in policy.'],
  ['an unknown Version', policy([{ Effect: 'Allow', Action: 's3:*', Resource: '*' }], '2020-01-01'),
    'Syntax errors in policy.'],
  ['an unknown condition operator',
    policy([{
      Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: { Boolean: { 'aws:MultiFactorAuthPresent': 'true' } },
    }]),
    'Syntax errors in policy.'],
  ['Action and NotAction together', policy([{ Effect: 'Allow', Action: 's3:*', NotAction: 'iam:*', Resource: '*' }]),
    'Syntax errors in policy.'],
  ['a Principal', policy([{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:*', Resource: '*' }]),
    'Policy document should not specify a principal.'],
  ['Effect in lower case', policy([{ Effect: 'allow', Action: 's3:*', Resource: '*' }]),
    'The policy failed legacy parsing'],
  ['a duplicate Sid',
    policy([
      { Sid: 'A', Effect: 'Allow', Action: 's3:*', Resource: '*' },
      { Sid: 'A', Effect: 'Deny', Action: 's3:*', Resource: '*' },
    ]),
    'Statement IDs (SID) in a single policy must be unique.'],
  ['no Action', policy([{ Effect: 'Allow', Resource: '*' }]), 'Policy statement must contain actions.'],
  ['an empty Resource', policy([{ Effect: 'Allow', Action: 's3:GetObject', Resource: '' }]),
    'Resource  must be in ARN format or "*".'],
  ['no Resource', policy([{ Effect: 'Allow', Action: 's3:*' }]), 'Policy statement must contain resources.'],
  ['an action without a vendor', policy([{ Effect: 'Allow', Action: 'GetUser', Resource: '*' }]),
    'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.'],
  ['an action with two colons', policy([{ Effect: 'Allow', Action: 'iam:Get:User', Resource: '*' }]),
    'Actions/Condition can contain only one colon.'],
  ['a vendor with odd characters', policy([{ Effect: 'Allow', Action: 'i am:GetUser', Resource: '*' }]),
    'Vendor i am is not valid'],
];

for (const [what, doc, message] of MALFORMED) {
  I(`PutUserPolicy refuses ${what}: MalformedPolicyDocument 400 "${message}"`, async () => {
    await expectError(iam.send(new PutUserPolicyCommand({ UserName: SEED, PolicyName: 'bad', PolicyDocument: doc })),
      'MalformedPolicyDocument', 400, message);
  });
}

I('inline policies may omit Version or say 2008-10-17, as IAM accepts there', async () => {
  await iam.send(new PutUserPolicyCommand({
    UserName: SEED, PolicyName: 'old',
    PolicyDocument: policy({ Effect: 'Allow', Action: 'iam:GetUser', Resource: '*' }, null),
  }));
  await iam.send(new PutUserPolicyCommand({
    UserName: SEED, PolicyName: 'old',
    PolicyDocument: policy({ Effect: 'Allow', Action: 'iam:GetUser', Resource: '*' }, '2008-10-17'),
  }));
  await iam.send(new DeleteUserPolicyCommand({ UserName: SEED, PolicyName: 'old' }));
});

I('ListUserPolicies pages with MaxItems and Marker, names in order; the SDK paginator walks them all', async () => {
  await iam.send(new CreateUserCommand({ UserName: 'pager' }));
  const names = ['e', 'a', 'd', 'c', 'b'];
  for (const n of names) {
    await iam.send(new PutUserPolicyCommand({ UserName: 'pager', PolicyName: n, PolicyDocument: ALLOW_GET_USER }));
  }
  const first = await iam.send(new ListUserPoliciesCommand({ UserName: 'pager', MaxItems: 2 }));
  assert.equal([first.PolicyNames, first.IsTruncated], [['a', 'b'], true]);
  const next = await iam.send(new ListUserPoliciesCommand({ UserName: 'pager', MaxItems: 2, Marker: first.Marker }));
  assert.equal(next.PolicyNames, ['c', 'd']);
  const all: string[] = [];
  for await (const pg of paginateListUserPolicies({ client: iam, pageSize: 2 }, { UserName: 'pager' })) {
    all.push(...pg.PolicyNames!);
  }
  assert.equal(all, ['a', 'b', 'c', 'd', 'e']);
});

I.run();

// ---------------------------------------------------------------------------------------------
const M = suite('customer-managed policies, versions and attachments');
M.before(async () => { ({ l, iam } = await session()); });
M.after(async () => { await l.done(); });

const arnOf = (name: string, path = '/') => `arn:aws:iam::${ACCOUNT}:policy${path}${name}`;

M('CreatePolicy answers the Policy shape; ' +
  'GetPolicy and GetPolicyVersion (document percent-encoded) agree', async () => {
  const c = await iam.send(new CreatePolicyCommand({
    PolicyName: 'Readers', Path: '/team/', PolicyDocument: ALLOW_GET_USER,
    Description: 'read users', Tags: [{ Key: 'k', Value: 'v' }] }));
  const p = c.Policy!;
  assert.is(p.Arn, arnOf('Readers', '/team/'));
  assert.match(p.PolicyId!, /^ANPA[A-Z2-7]{17}$/);
  assert.equal([p.PolicyName, p.Path, p.DefaultVersionId, p.AttachmentCount, p.IsAttachable, p.Description],
    ['Readers', '/team/', 'v1', 0, true, 'read users']);
  assert.equal(p.Tags, [{ Key: 'k', Value: 'v' }]);
  assert.instance(p.CreateDate, Date);
  const g = await iam.send(new GetPolicyCommand({ PolicyArn: p.Arn }));
  assert.equal({ ...g.Policy }, { ...p });
  const v = await iam.send(new GetPolicyVersionCommand({ PolicyArn: p.Arn, VersionId: 'v1' }));
  assert.equal([v.PolicyVersion!.VersionId, v.PolicyVersion!.IsDefaultVersion], ['v1', true]);
  assert.is(decodeURIComponent(v.PolicyVersion!.Document!), ALLOW_GET_USER);
});

M('CreatePolicy refuses a duplicate name (any case, any path), a missing Version, an oversize document, ' +
  'a long description', async () => {
  await expectError(iam.send(new CreatePolicyCommand({ PolicyName: 'readers', PolicyDocument: ALLOW_GET_USER })),
    'EntityAlreadyExists', 409, 'A policy called readers already exists. Duplicate names are not allowed.');
  await expectError(iam.send(new CreatePolicyCommand({
    PolicyName: 'NoVersion', PolicyDocument: policy({ Effect: 'Allow', Action: 'iam:GetUser', Resource: '*' }, null),
  })), 'MalformedPolicyDocument', 400, 'Policy document must be version 2012-10-17 or greater.');
  await iam.send(new CreatePolicyCommand({
    PolicyName: 'Exactly6144', PolicyDocument: sized(6144) + '\n'.repeat(100),
  }));
  await expectError(iam.send(new CreatePolicyCommand({ PolicyName: 'TooBig', PolicyDocument: sized(6145) })),
    'LimitExceeded', 409, 'Cannot exceed quota for PolicySize: 6144');
  const e = await failure(iam.send(new CreatePolicyCommand({
    PolicyName: 'Wordy', PolicyDocument: ALLOW_GET_USER, Description: 'x'.repeat(1001),
  })));
  assert.is(e.name, 'ValidationError');
  const p = await failure(iam.send(new CreatePolicyCommand({
    PolicyName: 'BadPath', Path: 'team', PolicyDocument: ALLOW_GET_USER,
  })));
  assert.is(p.name, 'ValidationError');
  await iam.send(new DeletePolicyCommand({ PolicyArn: arnOf('Exactly6144') }));
});

M('GetPolicy: an unknown ARN is NoSuchEntity "Policy ARN was not found."; a role\'s ARN is InvalidInput', async () => {
  await expectError(iam.send(new GetPolicyCommand({ PolicyArn: arnOf('Nope') })), 'NoSuchEntity', 404,
    `Policy ${arnOf('Nope')} was not found.`);
  await expectError(iam.send(new GetPolicyCommand({ PolicyArn: `arn:aws:iam::${ACCOUNT}:role/kjh-DuperRole` })),
    'InvalidInput', 400, `ARN arn:aws:iam::${ACCOUNT}:role/kjh-DuperRole is not valid.`);
  await expectError(iam.send(new GetPolicyVersionCommand({ PolicyArn: arnOf('Readers', '/team/'), VersionId: 'v9' })),
    'NoSuchEntity', 404, `Policy ${arnOf('Readers', '/team/')} version v9 does not exist or is not attachable.`);
});

M('attach customer- and AWS-managed policies to a user and a role; AttachmentCount follows; ' +
  'attaching twice changes nothing', async () => {
  const arn = arnOf('Readers', '/team/'), ro = 'arn:aws:iam::aws:policy/IAMReadOnlyAccess';
  await iam.send(new CreateUserCommand({ UserName: 'alice' }));
  await iam.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: arn }));
  await iam.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: arn }));
  await iam.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: ro }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'kjh-DuperRole', PolicyArn: arn }));
  assert.is((await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy!.AttachmentCount, 2);
  const ro1 = (await iam.send(new GetPolicyCommand({ PolicyArn: ro }))).Policy!;
  assert.equal([ro1.PolicyId, ro1.DefaultVersionId, ro1.AttachmentCount], ['ANPAJKSO7NDY4T57MWDSQ', 'v4', 1]);
  const list = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'alice' }));
  assert.equal(list.AttachedPolicies,
    [{ PolicyName: 'IAMReadOnlyAccess', PolicyArn: ro }, { PolicyName: 'Readers', PolicyArn: arn }]);
  const team = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'alice', PathPrefix: '/team/' }));
  assert.equal(team.AttachedPolicies!.map((p) => p.PolicyName), ['Readers']);
  assert.equal((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'kjh-DuperRole' }))).AttachedPolicies,
    [{ PolicyName: 'Readers', PolicyArn: arn }]);
  const ents = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn }));
  assert.equal([ents.PolicyUsers!.map((u) => u.UserName), ents.PolicyRoles!.map((r) => r.RoleName), ents.PolicyGroups],
    [['alice'], ['kjh-DuperRole'], []]);
  const roles = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn, EntityFilter: 'Role' }));
  assert.equal([roles.PolicyUsers, roles.PolicyRoles!.length], [[], 1]);
});

M('attach refuses unknown policies ("does not exist or is not attachable"), AWS ARNs we do not know, ' +
  'a malformed ARN, an unknown user', async () => {
  for (const arn of [arnOf('Nope'), 'arn:aws:iam::aws:policy/PowerUserAccess']) {
    await expectError(iam.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: arn })),
      'NoSuchEntity', 404, `Policy ${arn} does not exist or is not attachable.`);
  }
  await expectError(
    iam.send(new AttachRolePolicyCommand({ RoleName: 'kjh-DuperRole', PolicyArn: 'not-a-policy-arn-at-all' })),
    'InvalidInput', 400, 'ARN not-a-policy-arn-at-all is not valid.');
  await expectError(iam.send(new AttachUserPolicyCommand({ UserName: 'ghost', PolicyArn: arnOf('Readers', '/team/') })),
    'NoSuchEntity', 404, 'The user with name ghost cannot be found.');
  await expectError(iam.send(new DetachUserPolicyCommand({ UserName: SEED, PolicyArn: arnOf('Readers', '/team/') })),
    'NoSuchEntity', 404, `Policy ${arnOf('Readers', '/team/')} was not found.`);
});

M('a user or role holds at most 10 managed policies: the 11th is LimitExceeded ' +
  '"Cannot exceed quota for PoliciesPerUser: 10"', async () => {
  await iam.send(new CreateUserCommand({ UserName: 'collector' }));
  await iam.send(new CreateRoleCommand({
    RoleName: 'collector', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: ACCOUNT }, Action: 'sts:AssumeRole' }] }),
  }));
  for (let i = 0; i < 11; i++) {
    await iam.send(new CreatePolicyCommand({ PolicyName: `P${i}`, PolicyDocument: ALLOW_GET_USER }));
  }
  for (let i = 0; i < 10; i++) {
    await iam.send(new AttachUserPolicyCommand({ UserName: 'collector', PolicyArn: arnOf(`P${i}`) }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'collector', PolicyArn: arnOf(`P${i}`) }));
  }
  await expectError(iam.send(new AttachUserPolicyCommand({ UserName: 'collector', PolicyArn: arnOf('P10') })),
    'LimitExceeded', 409, 'Cannot exceed quota for PoliciesPerUser: 10');
  await expectError(iam.send(new AttachRolePolicyCommand({ RoleName: 'collector', PolicyArn: arnOf('P10') })),
    'LimitExceeded', 409, 'Cannot exceed quota for PoliciesPerRole: 10');
  const page1 = await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'collector', MaxItems: 4 }));
  assert.equal([page1.AttachedPolicies!.length, page1.IsTruncated], [4, true]);
  for (let i = 0; i < 10; i++) {
    await iam.send(new DetachUserPolicyCommand({ UserName: 'collector', PolicyArn: arnOf(`P${i}`) }));
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'collector', PolicyArn: arnOf(`P${i}`) }));
  }
  assert.equal((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'collector' }))).AttachedPolicies, []);
  for (let i = 0; i < 11; i++) await iam.send(new DeletePolicyCommand({ PolicyArn: arnOf(`P${i}`) }));
});

M('DeletePolicy while attached is DeleteConflict "Cannot delete a policy attached to entities."; ' +
  'after detaching it is gone', async () => {
  const arn = arnOf('Readers', '/team/');
  await expectError(iam.send(new DeletePolicyCommand({ PolicyArn: arn })), 'DeleteConflict', 409,
    'Cannot delete a policy attached to entities.');
  await iam.send(new DetachUserPolicyCommand({ UserName: 'alice', PolicyArn: arn }));
  await iam.send(new DetachRolePolicyCommand({ RoleName: 'kjh-DuperRole', PolicyArn: arn }));
  assert.is((await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy!.AttachmentCount, 0);
  await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
  await expectError(iam.send(new GetPolicyCommand({ PolicyArn: arn })), 'NoSuchEntity', 404,
    `Policy ${arn} was not found.`);
});

M('versions: up to 5, the 6th is LimitExceeded; the default cannot be deleted; ids are never reused; ' +
  'DeletePolicy wants one version left', async () => {
  const arn = (await iam.send(new CreatePolicyCommand({ PolicyName: 'Versioned', PolicyDocument: ALLOW_GET_USER })))
    .Policy!.Arn!;
  for (let i = 2; i <= 5; i++) {
    const v = await iam.send(new CreatePolicyVersionCommand({
      PolicyArn: arn, PolicyDocument: sized(300 + i), SetAsDefault: i === 3,
    }));
    assert.equal([v.PolicyVersion!.VersionId, v.PolicyVersion!.IsDefaultVersion, v.PolicyVersion!.Document],
      [`v${i}`, i === 3, undefined]);
  }
  await expectError(iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: ALLOW_GET_USER })),
    'LimitExceeded', 409,
    'A managed policy can have up to 5 versions. ' +
    'Before you create a new version, you must delete an existing version.');
  assert.is((await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy!.DefaultVersionId, 'v3');
  const listed = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
  assert.equal(listed.Versions!.map((v) => [v.VersionId, v.IsDefaultVersion, v.Document]),
    [['v5', false, undefined], ['v4', false, undefined], ['v3', true, undefined], ['v2', false, undefined],
      ['v1', false, undefined]]);
  await expectError(iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v3' })),
    'DeleteConflict', 409, 'Cannot delete the default version of a policy.');
  await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v5' }));
  const v6 = await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: ALLOW_GET_USER }));
  assert.is(v6.PolicyVersion!.VersionId, 'v6');
  await iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v6' }));
  await expectError(iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v5' })),
    'NoSuchEntity', 404, `Policy ${arn} version v5 does not exist or is not attachable.`);
  const bad = await failure(iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'V1' })));
  assert.is(bad.name, 'ValidationError');
  await expectError(iam.send(new DeletePolicyCommand({ PolicyArn: arn })), 'DeleteConflict', 409,
    'This policy has more than one version. ' +
    "Before you delete a policy, you must delete the policy's versions. " +
    'The default version is deleted with the policy.');
  for (const v of ['v1', 'v2', 'v3', 'v4']) {
    await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v }));
  }
  await iam.send(new DeletePolicyCommand({ PolicyArn: arn }));
});

M('ListPolicies: Scope Local/AWS/All, OnlyAttached, PathPrefix, and paging through every page', async () => {
  await iam.send(new CreatePolicyCommand({ PolicyName: 'Pathed', Path: '/lab/', PolicyDocument: ALLOW_GET_USER }));
  const names = async (input: object) =>
    (await iam.send(new ListPoliciesCommand(input))).Policies!.map((p) => p.PolicyName);
  assert.equal(await names({ Scope: 'Local' }), ['ForceMFA', 'Pathed', 'SelfManageMFA']);
  assert.equal(await names({ Scope: 'AWS' }), ['AdministratorAccess', 'IAMReadOnlyAccess']);
  assert.equal(await names({ OnlyAttached: true }), ['AdministratorAccess', 'IAMReadOnlyAccess', 'SelfManageMFA'],
    'alice still holds IAMReadOnlyAccess');
  assert.equal(await names({ PathPrefix: '/lab/' }), ['Pathed']);
  const all: string[] = [];
  for await (const pg of paginateListPolicies({ client: iam, pageSize: 2 }, {})) {
    all.push(...pg.Policies!.map((p) => p.PolicyName!));
  }
  assert.equal(all, ['AdministratorAccess', 'ForceMFA', 'IAMReadOnlyAccess', 'Pathed', 'SelfManageMFA']);
  const listed = (await iam.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: '/lab/' }))).Policies![0]!;
  assert.equal([listed.Description, listed.Tags], [undefined, undefined]);
});

M('the fixture: the seed user holds SelfManageMFA, the administrator AdministratorAccess; ' +
  'ForceMFA is attached to nobody', async () => {
  assert.equal((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: SEED }))).AttachedPolicies,
    [{ PolicyName: 'SelfManageMFA', PolicyArn: arnOf('SelfManageMFA') }]);
  assert.equal((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'local-admin' }))).AttachedPolicies,
    [{ PolicyName: 'AdministratorAccess', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }]);
  assert.is((await iam.send(new GetPolicyCommand({ PolicyArn: arnOf('ForceMFA') }))).Policy!.AttachmentCount, 0);
  const ents = await iam.send(new ListEntitiesForPolicyCommand({
    PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
  }));
  assert.equal(ents.PolicyUsers!.map((u) => u.UserName), ['local-admin']);
});

M.run();

// ---------------------------------------------------------------------------------------------
const R = suite('identity policies survive a restart');

R('inline policies (named __proto__ and toString too), managed policies, versions and attachments ' +
  'are all there after a restart', async () => {
  const a = await session();
  const docs: [string, string][] = [
    ['__proto__', ALLOW_GET_USER], ['toString', policy({ Effect: 'Deny', Action: 'iam:*', Resource: '*' })],
  ];
  for (const [n, d] of docs) {
    await a.iam.send(new PutUserPolicyCommand({ UserName: SEED, PolicyName: n, PolicyDocument: d }));
    await a.iam.send(new PutRolePolicyCommand({ RoleName: 'kjh-DuperRole', PolicyName: n, PolicyDocument: d }));
  }
  const arn = (await a.iam.send(new CreatePolicyCommand({ PolicyName: 'Kept', PolicyDocument: ALLOW_GET_USER })))
    .Policy!.Arn!;
  await a.iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: sized(200), SetAsDefault: true }));
  await a.iam.send(new AttachRolePolicyCommand({ RoleName: 'kjh-DuperRole', PolicyArn: arn }));
  await a.iam.send(new AttachUserPolicyCommand({ UserName: SEED, PolicyArn: arnOf('ForceMFA') }));
  await a.l.srv.close();

  const b = await localAws({ statePath: a.l.statePath, clock: a.l.clock });
  const iam2 = b.iam({
    accessKeyId: b.srv.fixture.adminAccessKeyId, secretAccessKey: b.srv.fixture.adminSecretAccessKey,
  });
  try {
    assert.equal((await iam2.send(new ListUserPoliciesCommand({ UserName: SEED }))).PolicyNames,
      ['__proto__', 'toString']);
    for (const [n, d] of docs) {
      const got = await iam2.send(new GetRolePolicyCommand({ RoleName: 'kjh-DuperRole', PolicyName: n }));
      assert.is(decodeURIComponent(got.PolicyDocument!), d);
    }
    const p = (await iam2.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy!;
    assert.equal([p.DefaultVersionId, p.AttachmentCount], ['v2', 1]);
    assert.is(decodeURIComponent((await iam2.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' })))
      .PolicyVersion!.Document!), sized(200));
    assert.equal((await iam2.send(new ListAttachedUserPoliciesCommand({ UserName: SEED })))
      .AttachedPolicies!.map((x) => x.PolicyName), ['ForceMFA', 'SelfManageMFA']);
    await iam2.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
    const v3 = await iam2.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: ALLOW_GET_USER }));
    assert.is(v3.PolicyVersion!.VersionId, 'v3');
  } finally { await b.done(); await a.l.done(); }
});

R.run();

// ---------------------------------------------------------------------------------------------
const C = suite('the AWS CLI against `provision local-aws`: put/get user policies, attach and list');
const hasCli = spawnSync('python3', ['-c', 'import awscli'], { stdio: 'ignore' }).status === 0;
let served: { child: ChildProcess; exit: Promise<number | null>; j: Record<string, string> } | undefined;
let box: { dir: string; done(): void };

C.before(async () => {
  if (!oracle('aws-cli', hasCli, 'python3 cannot import awscli')) return;
  box = tempDir();
  const child = spawn(process.execPath,
    [PROVISION, 'local-aws', '--json', '--port', '0', '--state', join(box.dir, 'state.json')],
    { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  let out = '';
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (b) => { out += b; if (out.includes('\n')) resolve(out.split('\n')[0]!); });
    void exit.then(() => reject(new Error('provision local-aws exited before printing its --json line')));
  });
  served = { child, exit, j: JSON.parse(line) };
});

C.after(async () => {
  if (served) { served.child.kill('SIGTERM'); await served.exit; }
  box?.done();
});

const aws = (args: string[]) => exec('python3', ['-m', 'awscli', 'iam', ...args, '--output', 'json'], { env: {
  PATH: process.env.PATH, HOME: box.dir, AWS_CONFIG_FILE: join(box.dir, 'none'),
  AWS_SHARED_CREDENTIALS_FILE: join(box.dir, 'none'),
  AWS_ACCESS_KEY_ID: served!.j.adminAccessKeyId, AWS_SECRET_ACCESS_KEY: served!.j.adminSecretAccessKey,
  AWS_DEFAULT_REGION: 'us-east-1', AWS_ENDPOINT_URL_IAM: served!.j.endpoint, AWS_PAGER: '',
} });

C('put-user-policy, then get-user-policy shows the document as JSON ' +
  '(botocore decodes what the JS SDK gets encoded)', async () => {
  if (!served) return;
  const doc = policy([{ Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' }]);
  const put = await aws(['put-user-policy', '--user-name', SEED, '--policy-name', 'cli-read',
    '--policy-document', doc]);
  assert.is(put.code, 0, put.stderr);
  assert.is(put.stdout, '');
  const got = await aws(['get-user-policy', '--user-name', SEED, '--policy-name', 'cli-read']);
  assert.is(got.code, 0, got.stderr);
  assert.equal(JSON.parse(got.stdout), { UserName: SEED, PolicyName: 'cli-read', PolicyDocument: JSON.parse(doc) });
  const missing = await aws(['get-user-policy', '--user-name', SEED, '--policy-name', 'nope']);
  assert.is(missing.code, 255);
  assert.match(missing.stderr, 'An error occurred (NoSuchEntity) when calling the GetUserPolicy operation: ' +
    'The user policy with name nope cannot be found.');
});

C('attach-user-policy with an AWS-managed ARN, then list-attached-user-policies; ' +
  'a malformed document is refused in IAM\'s words', async () => {
  if (!served) return;
  const ro = 'arn:aws:iam::aws:policy/IAMReadOnlyAccess';
  const att = await aws(['attach-user-policy', '--user-name', SEED, '--policy-arn', ro]);
  assert.is(att.code, 0, att.stderr);
  const listed = await aws(['list-attached-user-policies', '--user-name', SEED]);
  assert.is(listed.code, 0, listed.stderr);
  assert.equal(JSON.parse(listed.stdout).AttachedPolicies, [
    { PolicyName: 'IAMReadOnlyAccess', PolicyArn: ro },
    { PolicyName: 'SelfManageMFA', PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/SelfManageMFA` },
  ]);
  const bad = await aws(['create-policy', '--policy-name', 'x',
    '--policy-document', policy([{ Effect: 'Allow', Action: 's3:*' }])]);
  assert.is.not(bad.code, 0);
  assert.match(bad.stderr, 'An error occurred (MalformedPolicyDocument) when calling the CreatePolicy operation: ' +
    'Policy statement must contain resources.');
});

C.run();
