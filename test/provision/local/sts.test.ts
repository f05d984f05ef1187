import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CreateRoleCommand, CreateUserCommand, CreateAccessKeyCommand, CreateVirtualMFADeviceCommand, EnableMFADeviceCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand } from '@aws-sdk/client-sts';
import { codeAt, credsOf, failure, localAws, putInline, seedOf, STEP0, type Local } from './helpers.js';

const USER_ARN = 'arn:aws:iam::123456789012:user/service-user/kjh-SuperDuperUser';
const ROLE = 'arn:aws:iam::123456789012:role/kjh-DuperRole';
const SERIAL = 'arn:aws:iam::123456789012:mfa/service-user/kjh-SuperDuperUser';
const MFA_INVALID = 'MultiFactorAuthentication failed with invalid MFA one time pass code.';
const MFA_UNVALIDATED = 'MultiFactorAuthentication failed, unable to validate MFA code.  ' +
  'Please verify your MFA serial number is valid and associated with this user.';
const denied = (who: string, role = ROLE) =>
  `User: ${who} is not authorized to perform: sts:AssumeRole on resource: ${role}`;

const S = suite('local STS: MFA, trust policies, sessions');
let l: Local;
let seed: string;
/** The step the next fresh code comes from: the server clock moves on one step per use. */
let step = STEP0;
const nextCode = async () => { await l.clock.sleep(30_000); step++; return codeAt(seed, step); };

S.before(async () => {
  l = await localAws();
  const d = await l.iam().send(new CreateVirtualMFADeviceCommand({
    VirtualMFADeviceName: 'kjh-SuperDuperUser', Path: '/service-user/',
  }));
  seed = seedOf(d.VirtualMFADevice!.Base32StringSeed);
  await l.iam().send(new EnableMFADeviceCommand({
    UserName: 'kjh-SuperDuperUser', SerialNumber: SERIAL,
    AuthenticationCode1: codeAt(seed, STEP0 - 1), AuthenticationCode2: codeAt(seed, STEP0),
  }));
});
S.after(async () => { await l.done(); });

S('GetCallerIdentity names the fixture user', async () => {
  const r = await l.sts().send(new GetCallerIdentityCommand({}));
  assert.is(r.Arn, USER_ARN);
  assert.is(r.Account, '123456789012');
  assert.match(r.UserId!, /^AIDA/);
});

S('AssumeRole without MFA → AccessDenied 403 with the seed post\'s text', async () => {
  const e = await failure(l.sts().send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'my-cli-session' })));
  assert.is(e.name, 'AccessDenied');
  assert.is(e.message, denied(USER_ARN));
  assert.is(e.$metadata.httpStatusCode, 403);
  const none = await failure(l.sts().send(new AssumeRoleCommand({
    RoleArn: 'arn:aws:iam::123456789012:role/none', RoleSessionName: 'x1',
  })));
  assert.is(none.message, denied(USER_ARN, 'arn:aws:iam::123456789012:role/none'));
});

S('the codes spent enabling the device cannot be used again', async () => {
  const e = await failure(l.sts().send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 'reuse', SerialNumber: SERIAL, TokenCode: codeAt(seed, STEP0),
  })));
  assert.is(e.message, MFA_INVALID);
});

S('AssumeRole with the serial and a fresh code: assumed-role credentials; ' +
  'the same code again → the invalid-code text', async () => {
  const code = await nextCode();
  const r = await l.sts().send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 'my-cli-session', SerialNumber: SERIAL, TokenCode: code,
  }));
  assert.is(r.AssumedRoleUser!.Arn, 'arn:aws:sts::123456789012:assumed-role/kjh-DuperRole/my-cli-session');
  assert.match(r.AssumedRoleUser!.AssumedRoleId!, /^AROA[A-Z2-7]{17}:my-cli-session$/);
  assert.match(r.Credentials!.AccessKeyId!, /^ASIA/);
  const exp = r.Credentials!.Expiration!.getTime() - Date.now();
  assert.ok(exp > 3500_000 && exp <= 3600_000, String(exp));
  const who = await l.sts(credsOf(r.Credentials)).send(new GetCallerIdentityCommand({}));
  assert.is(who.Arn, 'arn:aws:sts::123456789012:assumed-role/kjh-DuperRole/my-cli-session');
  assert.is(who.UserId, r.AssumedRoleUser!.AssumedRoleId);
  const again = await failure(l.sts().send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 'again', SerialNumber: SERIAL, TokenCode: code,
  })));
  assert.is(again.name, 'AccessDenied');
  assert.is(again.message, MFA_INVALID);
});

S('a wrong code → the invalid-code text; ' +
  'a serial that is not the caller\'s → the unable-to-validate text', async () => {
  const good = codeAt(seed, step + 1);
  const wrong = String((Number(good) + 1) % 1_000_000).padStart(6, '0');
  const e1 = await failure(l.sts().send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 'w1', SerialNumber: SERIAL, TokenCode: wrong,
  })));
  assert.is(e1.message, MFA_INVALID);
  await l.iam().send(new CreateUserCommand({ UserName: 'mallory' }));
  const k = await l.iam().send(new CreateAccessKeyCommand({ UserName: 'mallory' }));
  const e2 = await failure(l.sts(credsOf(k.AccessKey)).send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 'm1', SerialNumber: SERIAL, TokenCode: good,
  })));
  assert.is(e2.name, 'AccessDenied');
  assert.is(e2.message, MFA_UNVALIDATED);
  const e3 = await failure(l.sts().send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 'u1', SerialNumber: 'arn:aws:iam::123456789012:mfa/nothing', TokenCode: good,
  })));
  assert.is(e3.message, MFA_UNVALIDATED);
});

S('TokenCode must be 6 digits, checked by the server (the JS SDK sends anything)', async () => {
  const e1 = await failure(l.sts().send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 'v1', SerialNumber: SERIAL, TokenCode: '11111111111111',
  })));
  assert.is(e1.name, 'ValidationError');
  assert.is(e1.message, "1 validation error detected: Value '11111111111111' at 'tokenCode' failed to satisfy " +
    "constraint: Member must have length less than or equal to 6");
  const e2 = await failure(l.sts().send(new GetSessionTokenCommand({ SerialNumber: SERIAL, TokenCode: '12' })));
  assert.is(e2.message, "1 validation error detected: Value '12' at 'tokenCode' failed to satisfy constraint: " +
    "Member must have length greater than or equal to 6");
});

S('an MFA session from GetSessionToken assumes the role with no new code; a plain session cannot', async () => {
  const mfa = await l.sts().send(new GetSessionTokenCommand({
    SerialNumber: SERIAL, TokenCode: await nextCode(), DurationSeconds: 3600,
  }));
  const r = await l.sts(credsOf(mfa.Credentials)).send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 'carried',
  }));
  assert.is(r.AssumedRoleUser!.Arn, 'arn:aws:sts::123456789012:assumed-role/kjh-DuperRole/carried');
  const plain = await l.sts().send(new GetSessionTokenCommand({}));
  const exp = plain.Credentials!.Expiration!.getTime() - Date.now();
  assert.ok(exp > 43100_000 && exp <= 43200_000, 'default 12 h');
  const e = await failure(l.sts(credsOf(plain.Credentials)).send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 'plain',
  })));
  assert.is(e.message, denied(USER_ARN));
});

S('GetSessionToken from session credentials (session or role) is refused', async () => {
  const s = await l.sts().send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
  const e1 = await failure(l.sts(credsOf(s.Credentials)).send(new GetSessionTokenCommand({})));
  assert.is(e1.name, 'AccessDenied');
  assert.is(e1.message, 'Cannot call GetSessionToken with session credentials');
  const r = await l.sts().send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 'gst', SerialNumber: SERIAL, TokenCode: await nextCode(),
  }));
  const e2 = await failure(l.sts(credsOf(r.Credentials)).send(new GetSessionTokenCommand({})));
  assert.is(e2.message, 'Cannot call GetSessionToken with session credentials');
});

S('aws:MultiFactorAuthAge counts seconds on the TOTP clock since the code was checked', async () => {
  await l.iam().send(new CreateRoleCommand({
    RoleName: 'fresh-mfa',
    AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{
      Effect: 'Allow', Principal: { AWS: USER_ARN }, Action: 'sts:AssumeRole',
      Condition: { Bool: { 'aws:MultiFactorAuthPresent': true }, NumericLessThan: { 'aws:MultiFactorAuthAge': '300' } },
    }] }),
  }));
  const arn = 'arn:aws:iam::123456789012:role/fresh-mfa';
  const s = credsOf((await l.sts().send(new GetSessionTokenCommand({
    SerialNumber: SERIAL, TokenCode: await nextCode(),
  }))).Credentials);
  await l.clock.sleep(200_000);
  step += Math.floor(200 / 30);
  await l.sts(s).send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'young' }));
  await l.clock.sleep(200_000);
  step += Math.floor(200 / 30);
  const e = await failure(l.sts(s).send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'old' })));
  assert.is(e.message, denied(USER_ARN, arn));
});

S('BoolIfExists "false" in a Deny catches long-term keys (the key is absent) but not an MFA request', async () => {
  await l.iam().send(new CreateRoleCommand({
    RoleName: 'deny-no-mfa',
    AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [
      { Effect: 'Allow', Principal: { AWS: '123456789012' }, Action: 'sts:*' },
      { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sts:AssumeRole',
        Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } },
    ] }),
  }));
  const arn = 'arn:aws:iam::123456789012:role/deny-no-mfa';
  // A trust policy that trusts the account (not the user by name) also needs the user's own Allow.
  const unallowed = await failure(l.sts().send(new AssumeRoleCommand({
    RoleArn: arn, RoleSessionName: 'withmfa', SerialNumber: SERIAL, TokenCode: await nextCode(),
  })));
  assert.is(unallowed.message,
    `${denied(USER_ARN, arn)} because no identity-based policy allows the sts:AssumeRole action`);
  await l.edit(putInline('users', 'kjh-SuperDuperUser', 'assume',
    { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: arn }] }));
  const e = await failure(l.sts().send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'nomfa' })));
  assert.is(e.message, denied(USER_ARN, arn));
  const ok = await l.sts().send(new AssumeRoleCommand({
    RoleArn: arn, RoleSessionName: 'withmfa', SerialNumber: SERIAL, TokenCode: await nextCode(),
  }));
  assert.ok(ok.Credentials);
});

S('role chaining: the chained session keeps MFA, is capped at 1 h, and MaxSessionDuration is enforced', async () => {
  await l.iam().send(new CreateRoleCommand({
    RoleName: 'chained', MaxSessionDuration: 7200,
    AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{
      Effect: 'Allow', Principal: { AWS: [ROLE, USER_ARN] }, Action: 'sts:AssumeRole',
      Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
    }] }),
  }));
  const arn = 'arn:aws:iam::123456789012:role/chained';
  const first = await l.sts().send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 'hop1', SerialNumber: SERIAL, TokenCode: await nextCode(),
  }));
  const hop = credsOf(first.Credentials);
  const e1 = await failure(l.sts(hop).send(new AssumeRoleCommand({
    RoleArn: arn, RoleSessionName: 'hop2', DurationSeconds: 7200,
  })));
  assert.is(e1.message,
    'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
  const second = await l.sts(hop).send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'hop2' }));
  assert.is(second.AssumedRoleUser!.Arn, 'arn:aws:sts::123456789012:assumed-role/chained/hop2');
  const e2 = await failure(l.sts().send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 'long', DurationSeconds: 7200, SerialNumber: SERIAL, TokenCode: await nextCode(),
  })));
  assert.is(e2.message, 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
});

S('sts:ExternalId conditions are evaluated', async () => {
  await l.iam().send(new CreateRoleCommand({
    RoleName: 'vendor',
    AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{
      Effect: 'Allow', Principal: { AWS: USER_ARN }, Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': 'abc-123' } },
    }] }),
  }));
  const arn = 'arn:aws:iam::123456789012:role/vendor';
  await failure(l.sts().send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'v1', ExternalId: 'abc-124' })));
  const ok = await l.sts().send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: 'v2', ExternalId: 'abc-123' }));
  assert.ok(ok.Credentials);
});

S.run();

const X = suite('local STS: expiry on the real clock');

X('a session used after its Expiration → ExpiredToken', async () => {
  let shift = 0;
  const t = await localAws({ realNow: () => Date.now() / 1000 + shift });
  try {
    const s = credsOf((await t.sts().send(new GetSessionTokenCommand({ DurationSeconds: 900 }))).Credentials);
    await t.sts(s).send(new GetCallerIdentityCommand({}));
    shift = 1000;
    // The client's clock moves with the server's, so the signature itself stays current.
    const e = await failure(t.sts(s, { systemClockOffset: 1000_000 }).send(new GetCallerIdentityCommand({})));
    assert.is(e.name, 'ExpiredToken');
    assert.is(e.message, 'The security token included in the request is expired');
  } finally { await t.done(); }
});

X.run();
