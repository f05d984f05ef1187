// Every common AWS refusal, provoked for real (SDK over HTTP against the local endpoint, which
// sends AWS's codes and texts), comes out of explain() as one line: AWS's words, then the fix.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { explain, connect, type Aws } from '../../provision/aws.js';
import { hintFor } from '../../provision/hints.js';
import { codeAt, failure, localAws, seedOf, STEP0, type Local } from './local/helpers.js';

const H = suite('AWS refusals carry a fix');
const USER = 'kjh-SuperDuperUser', ACCT = '123456789012';
const ROLE = `arn:aws:iam::${ACCT}:role/kjh-DuperRole`;
const serial = (n: string) => `arn:aws:iam::${ACCT}:mfa/${n}`;
let L: Local, aws: Aws;

H.before(async () => {
  L = await localAws();
  // As `--local` does: IAM as the administrator, STS as the seed user.
  aws = await connect({ endpointUrl: L.srv.endpoint, credentials: L.creds, iamCredentials: L.admin, maxAttempts: 1 });
});
H.after(async () => { aws.destroy(); await L.done(); });

/** Runs one call that must fail and returns the line explain() makes of it. */
const line = async (op: string, p: Promise<unknown>, w: Parameters<typeof explain>[2] = {}) =>
  explain(op, await failure(p), w).message;

const create = async (name: string) => {
  const d = await aws.iam.send(new aws.I.CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: name }));
  return seedOf(d.VirtualMFADevice!.Base32StringSeed);
};
const enable = (name: string, seed: string, user = USER, at = STEP0) => aws.iam.send(new aws.I.EnableMFADeviceCommand({
  UserName: user, SerialNumber: serial(name), AuthenticationCode1: codeAt(seed, at - 1),
  AuthenticationCode2: codeAt(seed, at),
}));

H('CreateVirtualMFADevice, EntityAlreadyExists: remove it or pick another name', async () => {
  await create('dup');
  assert.is(await line('CreateVirtualMFADevice',
    aws.iam.send(new aws.I.CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'dup' })), { serial: serial('dup') }),
    `CreateVirtualMFADevice: EntityAlreadyExists: MFA device already exists. ` +
    `Remove it with \`provision remove --serial ${serial('dup')}\`, or pick another name`);
});

H('EnableMFADevice: wrong codes (clock drift), already in use, no such user, the 8-device quota', async () => {
  const seed = await create('en');
  const bad = aws.iam.send(new aws.I.EnableMFADeviceCommand({
    UserName: USER, SerialNumber: serial('en'), AuthenticationCode1: '000000', AuthenticationCode2: '000001',
  }));
  assert.is(await line('EnableMFADevice', bad, { user: USER, serial: serial('en') }),
    'EnableMFADevice: InvalidAuthenticationCode: Authentication code for device is not valid. ' +
    'The token\'s clock may have drifted: check `token time` (`token time sync` sets it from this host), ' +
    'then try again');
  await enable('en', seed);
  assert.match(await line('EnableMFADevice', enable('en', seed, USER, STEP0 + 1), { serial: serial('en') }),
    `MFA Device is already in use. It is enabled for a user already (\`provision list\` shows whom): ` +
    `\`provision remove --serial ${serial('en')}\` and create it again to move it`);
  const s2 = await create('nouser');
  assert.is(await line('EnableMFADevice', enable('nouser', s2, 'ghost')),
    'EnableMFADevice: NoSuchEntity: The user with name ghost cannot be found. ' +
    'Check the name with `aws iam list-users`, or create the user: `aws iam create-user --user-name ghost`');
  for (let i = 0; i < 7; i++) await enable(`q${i}`, await create(`q${i}`));
  assert.match(await line('EnableMFADevice', enable('q8', await create('q8')), { user: USER }),
    new RegExp(/^EnableMFADevice: LimitExceeded: Cannot exceed quota for MFADevicesPerUser: 8\. /.source +
      /A user holds at most 8 MFA devices: /.source +
      /remove one of kjh-SuperDuperUser's with `provision remove --serial ARN`$/.source));
});

H('ResyncMFADevice, DeactivateMFADevice, DeleteVirtualMFADevice: what to run next', async () => {
  const seed = await create('rs');
  const rs = (c1: string, c2: string) => aws.iam.send(new aws.I.ResyncMFADeviceCommand({
    UserName: USER, SerialNumber: serial('rs'), AuthenticationCode1: c1, AuthenticationCode2: c2,
  }));
  assert.match(await line('DeactivateMFADevice',
    aws.iam.send(new aws.I.DeactivateMFADeviceCommand({ UserName: USER, SerialNumber: serial('rs') })),
    { user: USER, serial: serial('rs') }),
    new RegExp(/^DeactivateMFADevice: NoSuchEntity: .*\. /.source +
      /The device arn:aws:iam::123456789012:mfa\/rs is not enabled for kjh-SuperDuperUser: /.source +
      /`provision list` shows which user has it$/.source));
  await aws.iam.send(new aws.I.DeactivateMFADeviceCommand({ UserName: USER, SerialNumber: serial('q0') }));
  await enable('rs', seed);
  assert.is(await line('ResyncMFADevice', rs('000000', '000001'), { user: USER, serial: serial('rs') }),
    `ResyncMFADevice: InvalidAuthenticationCode: Authentication code for device is not valid. ` +
    `AWS found no two consecutive codes in its resync window (±20 steps on the local endpoint, ` +
    `unless --resync-window widens it): check \`token time\`, run \`token time sync\`, ` +
    `then \`provision resync --user ${USER} --serial ${serial('rs')}\` again`);
  assert.is(await line('DeleteVirtualMFADevice',
    aws.iam.send(new aws.I.DeleteVirtualMFADeviceCommand({ SerialNumber: serial('rs') })), { serial: serial('rs') }),
    'DeleteVirtualMFADevice: DeleteConflict: Cannot delete entity, must deactivate MFA device first. ' +
    'Deactivate it first: pass --user U (`provision list` shows whom it is enabled for)');
  assert.match(await line('DeleteVirtualMFADevice',
    aws.iam.send(new aws.I.DeleteVirtualMFADeviceCommand({ SerialNumber: serial('none') }))),
    new RegExp(/^DeleteVirtualMFADevice: NoSuchEntity: MFA Device with serial number .* does not exist\. /.source +
      /Check the serial ARN with `provision list`$/.source));
});

H('STS: no MFA under an MFA trust policy, a wrong or reused code, a serial not the caller\'s, GetSessionToken ' +
  'from a session', async () => {
  const seed = await create('sts');
  await aws.iam.send(new aws.I.DeactivateMFADeviceCommand({ UserName: USER, SerialNumber: serial('q1') }));
  await enable('sts', seed);
  const assume = (mfa?: { SerialNumber: string; TokenCode: string }) =>
    aws.sts.send(new aws.S.AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'hint-test', ...(mfa ?? {}) }));
  assert.match(await line('AssumeRole', assume(), { mfa: false }),
    new RegExp(/on resource: arn:aws:iam::123456789012:role\/kjh-DuperRole\. /.source +
      /The role's trust policy allows it only with MFA \(Condition Bool aws:MultiFactorAuthPresent "true"\): /.source +
      /drop --no-mfa so the token's code is sent$/.source));
  const w = { user: USER, serial: serial('sts'), mfa: true };
  assert.is(await line('AssumeRole', assume({ SerialNumber: serial('sts'), TokenCode: '000000' }), w),
    `AssumeRole: AccessDenied: MultiFactorAuthentication failed with invalid MFA one time pass code. ` +
    `The code was wrong or already used: wait for the next step (30 s) and retry; ` +
    `if it keeps failing, the token's clock drifted: \`provision resync --user ${USER} --serial ${serial('sts')}\``);
  assert.match(await line('AssumeRole', assume({ SerialNumber: serial('dup'), TokenCode: '123456' }),
    { serial: serial('dup'), mfa: true }),
    new RegExp(/unable to validate MFA code\. Please verify .*\. /.source +
      /The device arn:aws:iam::123456789012:mfa\/dup is not enabled for the caller: /.source +
      /check --serial against `provision list`$/.source));
  const s = await aws.sts.send(new aws.S.GetSessionTokenCommand({}));
  const sess = await connect({
    endpointUrl: L.srv.endpoint, maxAttempts: 1, credentials: {
      accessKeyId: s.Credentials!.AccessKeyId!, secretAccessKey: s.Credentials!.SecretAccessKey!,
      sessionToken: s.Credentials!.SessionToken!,
    },
  });
  try {
    assert.is(await line('GetSessionToken', sess.sts.send(new sess.S.GetSessionTokenCommand({}))),
      'GetSessionToken: AccessDenied: Cannot call GetSessionToken with session credentials. ' +
      'GetSessionToken needs long-term keys: unset AWS_SESSION_TOKEN, or use --profile with an access key');
  } finally { sess.destroy(); }
});

H('keys: an unknown access key, a wrong secret', async () => {
  for (const [creds, want] of [
    [{ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x'.repeat(40) },
      new RegExp(/^GetCallerIdentity: InvalidClientTokenId: .*\. /.source +
        /The endpoint does not know this access key: check --profile or AWS_ACCESS_KEY_ID/.source)],
    [{ ...L.creds, secretAccessKey: 'x'.repeat(40) },
      new RegExp(/^GetCallerIdentity: SignatureDoesNotMatch: .*\. /.source +
        /The secret key does not belong to the access key: check AWS_SECRET_ACCESS_KEY/.source)],
  ] as const) {
    const a = await connect({ endpointUrl: L.srv.endpoint, credentials: creds, maxAttempts: 1 });
    try {
      assert.match(await line('GetCallerIdentity', a.sts.send(new a.S.GetCallerIdentityCommand({}))), want);
    } finally { a.destroy(); }
  }
});

H('throttling past every retry says to lower --concurrency', async () => {
  const t = await localAws({ throttle: 1, statePath: join(L.dir, 'throttled.json') });
  const a = await connect({ endpointUrl: t.srv.endpoint, credentials: t.creds, maxAttempts: 1 });
  try {
    const all = await Promise.allSettled(Array.from({ length: 5 }, () => a.iam.send(new a.I.ListUsersCommand({}))));
    const e = all.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.match(explain('ListUsers', e.reason).message,
      new RegExp(/^ListUsers: Throttling: Rate exceeded\. /.source +
        /Still throttled after every retry: lower --concurrency, or try again later$/.source));
  } finally { a.destroy(); await t.done(); }
});

H('codes without a known fix keep AWS\'s line as it was', () => {
  assert.is(hintFor('GetRole', 'Frobnicated', 'x'), undefined);
  assert.is(hintFor('CreateUser', 'EntityAlreadyExists', 'User with name a already exists.'), undefined);
});

H.run();
