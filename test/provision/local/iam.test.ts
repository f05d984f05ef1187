import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, GetRoleCommand, GetUserCommand, ListUsersCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ADMIN_ACCESS, attach, credsOf, failure, localAws, type Local } from './helpers.js';

const S = suite('local IAM: users, access keys, roles');
let l: Local;
S.before(async () => { l = await localAws(); });
S.after(async () => { await l.done(); });

const trusting = (arn: string, extra: object = {}) => JSON.stringify({
  Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: arn }, Action: 'sts:AssumeRole', ...extra }],
});

S('the fixture is the seed scenario: user at /service-user/, role trusting it only with MFA ' +
  '(Bool aws:MultiFactorAuthPresent "true")', async () => {
  const u = await l.iam().send(new GetUserCommand({ UserName: 'kjh-SuperDuperUser' }));
  assert.is(u.User!.Arn, 'arn:aws:iam::123456789012:user/service-user/kjh-SuperDuperUser');
  // Its own policy (SelfManageMFA) lets it manage its MFA device and nothing else, GetUser included.
  const own = await failure(l.iam(l.creds).send(new GetUserCommand({})));
  assert.is(own.message, 'User: arn:aws:iam::123456789012:user/service-user/kjh-SuperDuperUser is not authorized to ' +
    'perform: iam:GetUser on resource: arn:aws:iam::123456789012:user/service-user/kjh-SuperDuperUser because no ' +
    'identity-based policy allows the iam:GetUser action');
  assert.is((await l.iam().send(new GetUserCommand({}))).User!.Arn, l.srv.fixture.adminUserArn);
  assert.is(u.User!.Path, '/service-user/');
  const r = await l.iam().send(new GetRoleCommand({ RoleName: 'kjh-DuperRole' }));
  assert.is(r.Role!.Arn, 'arn:aws:iam::123456789012:role/kjh-DuperRole');
  // The JS SDK hands back the wire text, which AWS percent-encodes.
  assert.equal(JSON.parse(decodeURIComponent(r.Role!.AssumeRolePolicyDocument!)), {
    Version: '2012-10-17',
    Statement: [{
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::123456789012:user/service-user/kjh-SuperDuperUser' },
      Action: 'sts:AssumeRole',
      Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
    }],
  });
  assert.is(r.Role!.MaxSessionDuration, 3600);
});

S('CreateUser then GetUser: ARN from the path, AIDA id, a real CreateDate, tags kept', async () => {
  const c = await l.iam().send(new CreateUserCommand({
    UserName: 'alice', Path: '/staff/', Tags: [{ Key: 'team', Value: 'ops' }],
  }));
  assert.is(c.User!.Arn, 'arn:aws:iam::123456789012:user/staff/alice');
  assert.match(c.User!.UserId!, /^AIDA[A-Z2-7]{17}$/);
  assert.ok(c.User!.CreateDate instanceof Date && Math.abs(c.User!.CreateDate.getTime() - Date.now()) < 60_000);
  const g = await l.iam().send(new GetUserCommand({ UserName: 'alice' }));
  assert.is(g.User!.UserId, c.User!.UserId);
  assert.equal(g.User!.Tags, [{ Key: 'team', Value: 'ops' }]);
});

S('user names are unique regardless of case → EntityAlreadyExists 409', async () => {
  const e = await failure(l.iam().send(new CreateUserCommand({ UserName: 'ALICE' })));
  assert.is(e.name, 'EntityAlreadyExistsException');
  assert.is(e.message, 'User with name ALICE already exists.');
  assert.is(e.$metadata.httpStatusCode, 409);
});

S('GetUser of an unknown user → NoSuchEntity with IAM\'s text', async () => {
  const e = await failure(l.iam().send(new GetUserCommand({ UserName: 'nobody' })));
  assert.is(e.name, 'NoSuchEntityException');
  assert.is(e.message, 'The user with name nobody cannot be found.');
});

S('validation: a missing required member, a bad pattern, a long name, and several at once', async () => {
  const e1 = await failure(l.iam().send(new CreateUserCommand({} as never)));
  assert.is(e1.name, 'ValidationError');
  assert.is(e1.message,
    "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null");
  assert.is(e1.$metadata.httpStatusCode, 400);
  const e2 = await failure(l.iam().send(new CreateUserCommand({ UserName: 'a b' })));
  assert.is(e2.message, "1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint: " +
    'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
  const long = 'x'.repeat(65);
  const e3 = await failure(l.iam().send(new CreateUserCommand({ UserName: long })));
  assert.is(e3.message, `1 validation error detected: Value '${long}' at 'userName' failed to satisfy constraint: ` +
    'Member must have length less than or equal to 64');
  const e4 = await failure(l.iam().send(new ListUsersCommand({ MaxItems: 0, PathPrefix: 'x' })));
  assert.is(e4.message, "2 validation errors detected: Value 'x' at 'pathPrefix' failed to satisfy constraint: " +
    'Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*; ' +
    "Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1");
});

S('paths: a bad one gets ValidationError with IAM\'s sentence, a long one the length text; ' +
  '// inside is allowed', async () => {
  const e1 = await failure(l.iam().send(new CreateUserCommand({ UserName: 'p1', Path: '/no-trailing' })));
  assert.is(e1.name, 'ValidationError');
  assert.is(e1.message, 'The specified value for path is invalid. ' +
    'It must begin and end with / and contain only alphanumeric characters and/or / characters.');
  const e2 = await failure(l.iam().send(new CreateUserCommand({ UserName: 'p2', Path: `/${'a'.repeat(512)}/` })));
  assert.is(e2.message, "1 validation error detected: Value at 'path' failed to satisfy constraint: " +
    'Member must have length less than or equal to 512');
  const ok = await l.iam().send(new CreateUserCommand({ UserName: 'p3', Path: '/a//b/' }));
  assert.is(ok.User!.Arn, 'arn:aws:iam::123456789012:user/a//b/p3');
});

S('tags: duplicate keys (case-insensitive) → InvalidInput; a boundary naming no policy → NoSuchEntity, ' +
  'naming one → refused by name (not enforced here)', async () => {
  const e1 = await failure(l.iam().send(new CreateUserCommand({
    UserName: 't1', Tags: [{ Key: 'k', Value: '1' }, { Key: 'K', Value: '2' }],
  })));
  assert.is(e1.name, 'InvalidInputException');
  assert.is(e1.message, 'Duplicate tag keys found. Please note that Tag keys are case insensitive.');
  const e2 = await failure(l.iam().send(new CreateUserCommand({
    UserName: 't2', PermissionsBoundary: 'arn:aws:iam::aws:policy/PowerUserAccess',
  })));
  assert.is(e2.name, 'NoSuchEntityException');
  const e3 = await failure(l.iam().send(new CreateUserCommand({
    UserName: 't3', PermissionsBoundary: 'arn:aws:iam::aws:policy/AdministratorAccess',
  })));
  assert.is(e3.name, 'UnsupportedParameter');
  assert.match(e3.message, 'CreateUser: the local endpoint does not support PermissionsBoundary');
  assert.is((await failure(l.iam().send(new GetUserCommand({ UserName: 't3' })))).name, 'NoSuchEntityException',
    'nothing created');
});

S('ListUsers pages with MaxItems/Marker (Marker only while truncated), filters by PathPrefix, ' +
  'refuses a forged Marker', async () => {
  for (const n of ['pg-a', 'pg-b', 'pg-c', 'pg-d', 'pg-e']) {
    await l.iam().send(new CreateUserCommand({ UserName: n, Path: '/paged/' }));
  }
  const seen: string[] = [];
  let marker: string | undefined;
  let pages = 0;
  do {
    const r = await l.iam().send(new ListUsersCommand({ PathPrefix: '/paged/', MaxItems: 2, Marker: marker }));
    pages++;
    seen.push(...r.Users!.map((u) => u.UserName!));
    assert.is(r.IsTruncated, r.Marker !== undefined);
    assert.ok(r.Users!.every((u) => u.Tags === undefined));
    marker = r.Marker;
  } while (marker);
  assert.equal(seen, ['pg-a', 'pg-b', 'pg-c', 'pg-d', 'pg-e']);
  assert.is(pages, 3);
  const e = await failure(l.iam().send(new ListUsersCommand({ Marker: 'not-a-marker' })));
  assert.is(e.name, 'ValidationError');
  assert.is(e.message, 'Invalid Marker.');
});

S('CreateAccessKey: a working AKIA key for the named user; a third key → LimitExceeded', async () => {
  await l.iam().send(new CreateUserCommand({ UserName: 'keyed' }));
  const k = await l.iam().send(new CreateAccessKeyCommand({ UserName: 'keyed' }));
  assert.match(k.AccessKey!.AccessKeyId!, /^AKIA[A-Z2-7]{16}$/);
  assert.is(k.AccessKey!.SecretAccessKey!.length, 40);
  assert.is(k.AccessKey!.Status, 'Active');
  const who = await l.sts(credsOf(k.AccessKey)).send(new GetCallerIdentityCommand({}));
  assert.is(who.Arn, 'arn:aws:iam::123456789012:user/keyed');
  await l.iam().send(new CreateAccessKeyCommand({ UserName: 'keyed' }));
  const e = await failure(l.iam().send(new CreateAccessKeyCommand({ UserName: 'keyed' })));
  assert.is(e.name, 'LimitExceededException');
  assert.is(e.message, 'Cannot exceed quota for AccessKeysPerUser: 2');
});

S('CreateRole: bad JSON and unknown principals are MalformedPolicyDocument; duplicates EntityAlreadyExists; ' +
  'GetRole of nothing NoSuchEntity', async () => {
  const e1 = await failure(l.iam().send(new CreateRoleCommand({ RoleName: 'r1', AssumeRolePolicyDocument: '{nope' })));
  assert.is(e1.name, 'MalformedPolicyDocumentException');
  const e2 = await failure(l.iam().send(new CreateRoleCommand({
    RoleName: 'r1', AssumeRolePolicyDocument: trusting('arn:aws:iam::123456789012:user/ghost'),
  })));
  assert.is(e2.name, 'MalformedPolicyDocumentException');
  assert.is(e2.message, 'Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/ghost"');
  const ok = await l.iam().send(new CreateRoleCommand({
    RoleName: 'r1', Path: '/svc/', AssumeRolePolicyDocument: trusting('123456789012'), MaxSessionDuration: 7200,
    Description: 'test role',
  }));
  assert.is(ok.Role!.Arn, 'arn:aws:iam::123456789012:role/svc/r1');
  assert.match(ok.Role!.RoleId!, /^AROA[A-Z2-7]{17}$/);
  const e3 = await failure(l.iam().send(new CreateRoleCommand({
    RoleName: 'R1', AssumeRolePolicyDocument: trusting('123456789012'),
  })));
  assert.is(e3.message, 'Role with name R1 already exists.');
  const g = await l.iam().send(new GetRoleCommand({ RoleName: 'r1' }));
  assert.is(g.Role!.MaxSessionDuration, 7200);
  assert.is(g.Role!.Description, 'test role');
  const e4 = await failure(l.iam().send(new CreateRoleCommand({
    RoleName: 'r2', AssumeRolePolicyDocument: trusting('123456789012'), MaxSessionDuration: 100,
  })));
  assert.is(e4.message, "1 validation error detected: Value '100' at 'maxSessionDuration' " +
    'failed to satisfy constraint: Member must have value greater than or equal to 3600');
});

S('calls that default to the caller need a user: from role credentials IAM says so', async () => {
  await l.iam().send(new CreateRoleCommand({
    RoleName: 'open', AssumeRolePolicyDocument: trusting(l.srv.fixture.userArn),
  }));
  await l.edit(attach('roles', 'open', ADMIN_ACCESS));
  const a = await l.sts().send(new AssumeRoleCommand({
    RoleArn: 'arn:aws:iam::123456789012:role/open', RoleSessionName: 'x1',
  }));
  const e = await failure(l.iam(credsOf(a.Credentials)).send(new GetUserCommand({})));
  assert.is(e.name, 'ValidationError');
  assert.is(e.message, 'Must specify userName when calling with non-User credentials');
  const named = await l.iam(credsOf(a.Credentials)).send(new GetUserCommand({ UserName: 'kjh-SuperDuperUser' }));
  assert.is(named.User!.UserName, 'kjh-SuperDuperUser');
});

S.run();
