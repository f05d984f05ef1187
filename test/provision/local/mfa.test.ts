import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CreateUserCommand, CreateVirtualMFADeviceCommand, DeactivateMFADeviceCommand, DeleteVirtualMFADeviceCommand,
  EnableMFADeviceCommand, ListMFADevicesCommand, ListVirtualMFADevicesCommand, ResyncMFADeviceCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import jsqr from 'jsqr';
import { PNG } from 'pngjs';
import { codeAt, failure, localAws, seedOf, STEP0, type Local } from './helpers.js';

// jsqr is CJS whose module.exports is the function with itself as .default.
const jsQR = (jsqr as unknown as { default: (d: Uint8ClampedArray, w: number, h: number) => { data: string } | null })
  .default;

const USER = 'kjh-SuperDuperUser';
const ROLE = 'arn:aws:iam::123456789012:role/kjh-DuperRole';
const MFA_INVALID = 'MultiFactorAuthentication failed with invalid MFA one time pass code.';

const S = suite('local IAM: virtual MFA devices');
let l: Local;
S.before(async () => { l = await localAws(); });
S.after(async () => { await l.done(); });

async function create(name: string, path?: string) {
  const r = await l.iam().send(new CreateVirtualMFADeviceCommand({
    VirtualMFADeviceName: name, ...(path ? { Path: path } : {}),
  }));
  return {
    serial: r.VirtualMFADevice!.SerialNumber!, seed: seedOf(r.VirtualMFADevice!.Base32StringSeed),
    png: r.VirtualMFADevice!.QRCodePNG!,
  };
}
async function enabled(name: string, user = USER) {
  const d = await create(name);
  await l.iam().send(new EnableMFADeviceCommand({
    UserName: user, SerialNumber: d.serial,
    AuthenticationCode1: codeAt(d.seed, STEP0 - 1), AuthenticationCode2: codeAt(d.seed, STEP0),
  }));
  return d;
}

S('CreateVirtualMFADevice: a 64-char base32 seed and a real QR PNG of AWS\'s URI form holding that seed', async () => {
  const d = await create('qr-check', '/service-user/');
  assert.is(d.serial, 'arn:aws:iam::123456789012:mfa/service-user/qr-check');
  assert.match(d.seed, /^[A-Z2-7]{64}$/);
  const png = PNG.sync.read(Buffer.from(d.png));
  const qr = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  assert.is(qr?.data,
    `otpauth://totp/Amazon%20Web%20Services:qr-check@123456789012?secret=${d.seed}&issuer=Amazon%20Web%20Services`);
  const other = await create('qr-check-2');
  assert.is.not(other.seed, d.seed);
  assert.is(other.serial, 'arn:aws:iam::123456789012:mfa/qr-check-2');
});

S('serials keep the path as given, // included; ' +
  'a duplicate is EntityAlreadyExists "MFA device already exists."', async () => {
  const d = await create('dbl', '/test//double/');
  assert.is(d.serial, 'arn:aws:iam::123456789012:mfa/test//double/dbl');
  const e = await failure(l.iam().send(new CreateVirtualMFADeviceCommand({
    VirtualMFADeviceName: 'dbl', Path: '/test//double/',
  })));
  assert.is(e.name, 'EntityAlreadyExistsException');
  assert.is(e.message, 'MFA device already exists.');
  assert.is(e.$metadata.httpStatusCode, 409);
  const p = await failure(l.iam().send(new CreateVirtualMFADeviceCommand({
    VirtualMFADeviceName: 'x', Path: 'relative/',
  })));
  assert.is(p.name, 'ValidationError');
  assert.ok(p.message.startsWith('The specified value for path is invalid.'));
});

S('EnableMFADevice accepts two consecutive codes at (T-1, T) or (T, T+1)', async () => {
  await enabled('en-recent');
  const d = await create('en-next');
  await l.iam().send(new EnableMFADeviceCommand({
    UserName: USER, SerialNumber: d.serial,
    AuthenticationCode1: codeAt(d.seed, STEP0), AuthenticationCode2: codeAt(d.seed, STEP0 + 1),
  }));
  // The user lists its own devices with its own key (SelfManageMFA allows that).
  const listed = await l.iam(l.creds).send(new ListMFADevicesCommand({}));
  assert.ok(listed.MFADevices!.some((m) =>
    m.SerialNumber === d.serial && m.UserName === USER && m.EnableDate instanceof Date));
});

S('EnableMFADevice refuses stale, reversed, repeated and wrong codes with InvalidAuthenticationCode 403', async () => {
  const d = await create('en-bad');
  for (const [a, b] of [[STEP0 - 2, STEP0 - 1], [STEP0, STEP0 - 1], [STEP0, STEP0], [STEP0 + 1, STEP0 + 2]] as const) {
    const e = await failure(l.iam().send(new EnableMFADeviceCommand({
      UserName: USER, SerialNumber: d.serial,
      AuthenticationCode1: codeAt(d.seed, a), AuthenticationCode2: codeAt(d.seed, b),
    })));
    assert.is(e.name, 'InvalidAuthenticationCodeException', `${a - STEP0},${b - STEP0}`);
    assert.is(e.$metadata.httpStatusCode, 403);
    assert.is(e.$fault, 'client');
  }
  const v = await failure(l.iam().send(new EnableMFADeviceCommand({
    UserName: USER, SerialNumber: d.serial, AuthenticationCode1: '12345', AuthenticationCode2: '12345a',
  })));
  assert.is(v.name, 'ValidationError');
  assert.is(v.message, "2 validation errors detected: Value '12345' at 'authenticationCode1' failed to satisfy " +
    "constraint: Member must have length greater than or equal to 6; " +
    "Value '12345a' at 'authenticationCode2' failed to satisfy constraint: " +
    "Member must satisfy regular expression pattern: [\\d]+");
});

S('an assigned device is "MFA Device is already in use."; unknown user or serial is NoSuchEntity', async () => {
  const d = await enabled('in-use');
  await l.iam().send(new CreateUserCommand({ UserName: 'bob' }));
  const e = await failure(l.iam().send(new EnableMFADeviceCommand({
    UserName: 'bob', SerialNumber: d.serial,
    AuthenticationCode1: codeAt(d.seed, STEP0 + 1), AuthenticationCode2: codeAt(d.seed, STEP0 + 2),
  })));
  assert.is(e.name, 'EntityAlreadyExistsException');
  assert.is(e.message, 'MFA Device is already in use.');
  const u = await failure(l.iam().send(new EnableMFADeviceCommand({
    UserName: 'ghost', SerialNumber: d.serial, AuthenticationCode1: '123456', AuthenticationCode2: '123456',
  })));
  assert.is(u.message, 'The user with name ghost cannot be found.');
  const s = await failure(l.iam().send(new EnableMFADeviceCommand({
    UserName: USER, SerialNumber: 'arn:aws:iam::123456789012:mfa/none',
    AuthenticationCode1: '123456', AuthenticationCode2: '123456',
  })));
  assert.is(s.name, 'NoSuchEntityException');
  assert.is(s.message, 'MFA Device with serial number arn:aws:iam::123456789012:mfa/none does not exist.');
});

S('a user holds at most 8 MFA devices: the 9th → LimitExceeded', async () => {
  await l.iam().send(new CreateUserCommand({ UserName: 'collector' }));
  for (let i = 1; i <= 8; i++) await enabled(`lim-${i}`, 'collector');
  const d = await create('lim-9');
  const e = await failure(l.iam().send(new EnableMFADeviceCommand({
    UserName: 'collector', SerialNumber: d.serial,
    AuthenticationCode1: codeAt(d.seed, STEP0 - 1), AuthenticationCode2: codeAt(d.seed, STEP0),
  })));
  assert.is(e.name, 'LimitExceededException');
  assert.is(e.$metadata.httpStatusCode, 409);
  const mine = await l.iam().send(new ListMFADevicesCommand({ UserName: 'collector' }));
  assert.is(mine.MFADevices!.length, 8);
});

S('an assigned device cannot be deleted (DeleteConflict 409) until deactivated; ' +
  'unknown serials are NoSuchEntity', async () => {
  const d = await enabled('del-me');
  const e = await failure(l.iam().send(new DeleteVirtualMFADeviceCommand({ SerialNumber: d.serial })));
  assert.is(e.name, 'DeleteConflictException');
  assert.is(e.$metadata.httpStatusCode, 409);
  const wrongUser = await failure(l.iam().send(new DeactivateMFADeviceCommand({
    UserName: 'bob', SerialNumber: d.serial,
  })));
  assert.is(wrongUser.name, 'NoSuchEntityException');
  await l.iam().send(new DeactivateMFADeviceCommand({ UserName: USER, SerialNumber: d.serial }));
  await l.iam().send(new DeleteVirtualMFADeviceCommand({ SerialNumber: d.serial }));
  const gone = await failure(l.iam().send(new DeleteVirtualMFADeviceCommand({ SerialNumber: d.serial })));
  assert.is(gone.message, `MFA Device with serial number ${d.serial} does not exist.`);
});

S('ListVirtualMFADevices never returns seeds or QR codes; assigned ones carry User and EnableDate; ' +
  'AssignmentStatus filters', async () => {
  const all = await l.iam().send(new ListVirtualMFADevicesCommand({}));
  assert.ok(all.VirtualMFADevices!.length > 5);
  for (const v of all.VirtualMFADevices!) {
    assert.is(v.Base32StringSeed, undefined);
    assert.is(v.QRCodePNG, undefined);
    assert.is(v.Tags, undefined);
    assert.is(v.User !== undefined, v.EnableDate !== undefined);
  }
  const assigned = await l.iam().send(new ListVirtualMFADevicesCommand({ AssignmentStatus: 'Assigned' }));
  const unassigned = await l.iam().send(new ListVirtualMFADevicesCommand({ AssignmentStatus: 'Unassigned' }));
  assert.ok(assigned.VirtualMFADevices!.every((v) => v.User?.UserName));
  assert.ok(unassigned.VirtualMFADevices!.every((v) => v.User === undefined));
  assert.is(assigned.VirtualMFADevices!.length + unassigned.VirtualMFADevices!.length, all.VirtualMFADevices!.length);
  const e = await failure(l.iam().send(new ListVirtualMFADevicesCommand({ AssignmentStatus: 'Some' as never })));
  assert.is(e.message, "1 validation error detected: Value 'Some' at 'assignmentStatus' failed to satisfy " +
    "constraint: Member must satisfy enum value set: [Assigned, Unassigned, Any]");
});

S('ListVirtualMFADevices pages through every device exactly once with MaxItems 3', async () => {
  const total = (await l.iam().send(new ListVirtualMFADevicesCommand({}))).VirtualMFADevices!
    .map((v) => v.SerialNumber);
  const seen: string[] = [];
  let marker: string | undefined;
  do {
    const r = await l.iam().send(new ListVirtualMFADevicesCommand({ MaxItems: 3, Marker: marker }));
    assert.ok(r.VirtualMFADevices!.length <= 3);
    seen.push(...r.VirtualMFADevices!.map((v) => v.SerialNumber!));
    marker = r.IsTruncated ? r.Marker : undefined;
  } while (marker);
  assert.equal(seen, total);
});

S('ResyncMFADevice finds a device running 5 steps ahead and applies that offset to later code checks', async () => {
  const d = await create(USER, '/service-user/');
  await l.iam().send(new EnableMFADeviceCommand({
    UserName: USER, SerialNumber: d.serial,
    AuthenticationCode1: codeAt(d.seed, STEP0 - 1), AuthenticationCode2: codeAt(d.seed, STEP0),
  }));
  const ahead = STEP0 + 5;
  // Before the resync, the device's current code is too far out.
  const before = await failure(l.sts().send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 's0', SerialNumber: d.serial, TokenCode: codeAt(d.seed, ahead + 1),
  })));
  assert.is(before.message, MFA_INVALID);
  await l.iam().send(new ResyncMFADeviceCommand({
    UserName: USER, SerialNumber: d.serial,
    AuthenticationCode1: codeAt(d.seed, ahead - 1), AuthenticationCode2: codeAt(d.seed, ahead),
  }));
  const ok = await l.sts().send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 's1', SerialNumber: d.serial, TokenCode: codeAt(d.seed, ahead + 1),
  }));
  assert.ok(ok.Credentials?.AccessKeyId);
  // The server's own step no longer counts: it is 5 behind the device now.
  const raw = await failure(l.sts().send(new AssumeRoleCommand({
    RoleArn: ROLE, RoleSessionName: 's2', SerialNumber: d.serial, TokenCode: codeAt(d.seed, STEP0 + 1),
  })));
  assert.is(raw.message, MFA_INVALID);
});

S('ResyncMFADevice only looks ±20 steps, and only at the named user\'s own device', async () => {
  const d = await enabled('resync-far');
  const far = STEP0 + 25;
  const e = await failure(l.iam().send(new ResyncMFADeviceCommand({
    UserName: USER, SerialNumber: d.serial,
    AuthenticationCode1: codeAt(d.seed, far - 1), AuthenticationCode2: codeAt(d.seed, far),
  })));
  assert.is(e.name, 'InvalidAuthenticationCodeException');
  const near = STEP0 - 19;
  const other = await failure(l.iam().send(new ResyncMFADeviceCommand({
    UserName: 'bob', SerialNumber: d.serial,
    AuthenticationCode1: codeAt(d.seed, near - 1), AuthenticationCode2: codeAt(d.seed, near),
  })));
  assert.is(other.name, 'NoSuchEntityException');
  await l.iam().send(new ResyncMFADeviceCommand({
    UserName: USER, SerialNumber: d.serial,
    AuthenticationCode1: codeAt(d.seed, near - 1), AuthenticationCode2: codeAt(d.seed, near),
  }));
});

S.run();

const W = suite('local IAM: a wider resync window (--resync-window)');
W('resyncWindow 960: a token 500 steps (4 h 10 min) ahead resyncs, one past the window does not; ' +
  'bad windows are refused', async () => {
  const wide = await localAws({ resyncWindow: 960 });
  try {
    const c = await wide.iam().send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'hours' }));
    const d = { serial: c.VirtualMFADevice!.SerialNumber!, seed: seedOf(c.VirtualMFADevice!.Base32StringSeed) };
    await wide.iam().send(new EnableMFADeviceCommand({
      UserName: USER, SerialNumber: d.serial,
      AuthenticationCode1: codeAt(d.seed, STEP0 - 1), AuthenticationCode2: codeAt(d.seed, STEP0),
    }));
    const pairAt = (s: number) => new ResyncMFADeviceCommand({
      UserName: USER, SerialNumber: d.serial,
      AuthenticationCode1: codeAt(d.seed, s - 1), AuthenticationCode2: codeAt(d.seed, s),
    });
    assert.is((await failure(wide.iam().send(pairAt(STEP0 + 961)))).name, 'InvalidAuthenticationCodeException',
      'past ±960');
    await wide.iam().send(pairAt(STEP0 + 500));
    const ok = await wide.sts().send(new AssumeRoleCommand({
      RoleArn: ROLE, RoleSessionName: 'wide', SerialNumber: d.serial, TokenCode: codeAt(d.seed, STEP0 + 501),
    }));
    assert.ok(ok.Credentials?.AccessKeyId, 'STS follows the learnt offset');
  } finally { await wide.done(); }
  for (const bad of [0, 2881, 1.5]) {
    try { await localAws({ resyncWindow: bad }); assert.unreachable(`window ${bad} was accepted`); } catch (e) {
      assert.is((e as { code?: string }).code, 'E_USAGE', String(e));
      assert.match((e as Error).message, /^the resync window must be 1 to 2880 steps \(a day\), got /);
    }
  }
});
W.run();
