import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  CreateVirtualMFADeviceCommand, EnableMFADeviceCommand, ListVirtualMFADevicesCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { localAwsHolder, lockPathOf, startLocalAws } from '../../../provision/local/server.js';
import { LocalAwsError } from '../../../provision/local/errors.js';
import { loadState, stateFile } from '../../../provision/local/state.js';
import { tempDir } from '../../helpers.js';
import { codeAt, failure, localAws, seedOf, STEP0 } from './helpers.js';

const MFA_INVALID = 'MultiFactorAuthentication failed with invalid MFA one time pass code.';

async function refused(p: Promise<unknown>): Promise<LocalAwsError> {
  try { await p; } catch (e) { return e as LocalAwsError; }
  throw new Error('expected startLocalAws to refuse');
}

test('a new state file gets the fixture with a random AKIA key and 40-char secret; ' +
  'another file gets other keys', async () => {
  const a = await localAws(), b = await localAws();
  try {
    assert.match(a.srv.fixture.accessKeyId, /^AKIA[A-Z2-7]{16}$/);
    assert.is(a.srv.fixture.secretAccessKey.length, 40);
    assert.is.not(a.srv.fixture.accessKeyId, b.srv.fixture.accessKeyId);
    assert.is.not(a.srv.fixture.secretAccessKey, b.srv.fixture.secretAccessKey);
    assert.is.not(a.srv.fixture.accessKeyId, 'AKIAIOSFODNN7EXAMPLE');
    assert.match(a.srv.fixture.adminAccessKeyId, /^AKIA[A-Z2-7]{16}$/);
    assert.is(a.srv.fixture.adminSecretAccessKey.length, 40);
    assert.is.not(a.srv.fixture.adminAccessKeyId, a.srv.fixture.accessKeyId);
    assert.equal({
      ...a.srv.fixture, accessKeyId: '', secretAccessKey: '', adminAccessKeyId: '', adminSecretAccessKey: '',
    }, {
      accountId: '123456789012', userName: 'kjh-SuperDuperUser',
      userArn: 'arn:aws:iam::123456789012:user/service-user/kjh-SuperDuperUser',
      accessKeyId: '', secretAccessKey: '', roleArn: 'arn:aws:iam::123456789012:role/kjh-DuperRole',
      adminUserName: 'local-admin', adminUserArn: 'arn:aws:iam::123456789012:user/local-admin',
      adminAccessKeyId: '', adminSecretAccessKey: '',
    });
  } finally { await a.done(); await b.done(); }
});

test('the state is 0600, the lock names this process while serving and is gone after close', async () => {
  const l = await localAws();
  try {
    assert.is(statSync(l.statePath).mode & 0o777, 0o600);
    const lock = JSON.parse(readFileSync(lockPathOf(l.statePath), 'utf8'));
    assert.is(lock.pid, process.pid);
    assert.is(lock.role, 'local-aws', 'the lock says what holds it');
    assert.is(localAwsHolder(l.statePath)?.pid, process.pid);
    const busy = await refused(startLocalAws({ statePath: l.statePath, port: 0 }));
    assert.instance(busy, LocalAwsError);
    assert.is(busy.code, 'E_BUSY');
    assert.is(busy.pid, process.pid);
    assert.is(busy.role, 'local-aws');
    assert.match(busy.message, `in use by a \`provision local-aws\` server (pid ${process.pid}): stop it`);
  } finally {
    await l.srv.close();
  }
  assert.not.ok(existsSync(lockPathOf(l.statePath)));
  assert.is(localAwsHolder(l.statePath), null);
  const again = await startLocalAws({ statePath: l.statePath, port: 0 });
  await again.close();
  await l.done();
});

test('a lock left by a dead process is taken over', async () => {
  const t = tempDir();
  const statePath = join(t.dir, 'state.json');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  writeFileSync(lockPathOf(statePath), JSON.stringify({ pid: Number(dead.stdout), started: '1' }), { mode: 0o600 });
  assert.is(localAwsHolder(statePath), null);
  const s = await startLocalAws({ statePath, port: 0 });
  assert.is(JSON.parse(readFileSync(lockPathOf(statePath), 'utf8')).pid, process.pid);
  await s.close();
  t.done();
});

test('a live pid with another start time is pid reuse, so that lock is stale too', async () => {
  const t = tempDir();
  const statePath = join(t.dir, 'state.json');
  writeFileSync(lockPathOf(statePath), JSON.stringify({ pid: process.pid, started: '1' }), { mode: 0o600 });
  const s = await startLocalAws({ statePath, port: 0 });
  await s.close();
  t.done();
});

test('a state file others can read is refused with the chmod hint; a corrupt one is refused too', async () => {
  const t = tempDir();
  const statePath = join(t.dir, 'state.json');
  const s = await startLocalAws({ statePath, port: 0 });
  await s.close();
  chmodSync(statePath, 0o644);
  const e1 = await refused(startLocalAws({ statePath, port: 0 }));
  assert.is(e1.code, 'E_STATE_PERMS');
  assert.match(e1.message, `chmod 600 ${statePath}`);
  assert.not.ok(existsSync(lockPathOf(statePath)), 'lock released after the refusal');
  writeFileSync(statePath, '{"version": 7}', { mode: 0o600 });
  chmodSync(statePath, 0o600);
  const e2 = await refused(startLocalAws({ statePath, port: 0 }));
  assert.is(e2.code, 'E_STATE_CORRUPT');
  t.done();
});

test('a port already taken → E_PORT, and the lock is released', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  const port = (blocker.address() as { port: number }).port;
  const t = tempDir();
  const statePath = join(t.dir, 'state.json');
  const e = await refused(startLocalAws({ statePath, port }));
  assert.is(e.code, 'E_PORT');
  assert.match(e.message, `port ${port} is already in use`);
  assert.is(localAwsHolder(statePath), null);
  blocker.close();
  t.done();
});

test('keys, devices, assignments and spent codes survive a restart; no temp files are left behind', async () => {
  const l = await localAws();
  const d = await l.iam().send(new CreateVirtualMFADeviceCommand({
    VirtualMFADeviceName: 'kjh-SuperDuperUser', Path: '/service-user/',
  }));
  const serial = d.VirtualMFADevice!.SerialNumber!;
  const seed = seedOf(d.VirtualMFADevice!.Base32StringSeed);
  await l.iam().send(new EnableMFADeviceCommand({
    UserName: 'kjh-SuperDuperUser', SerialNumber: serial,
    AuthenticationCode1: codeAt(seed, STEP0 - 1), AuthenticationCode2: codeAt(seed, STEP0),
  }));
  const code = codeAt(seed, STEP0 + 1);
  await l.sts().send(new AssumeRoleCommand({
    RoleArn: l.srv.fixture.roleArn, RoleSessionName: 'before', SerialNumber: serial, TokenCode: code,
  }));
  await l.srv.close();

  const again = await localAws({ statePath: l.statePath, clock: l.clock });
  try {
    assert.equal(again.srv.fixture, l.srv.fixture);
    await again.sts().send(new GetCallerIdentityCommand({}));
    const listed = await again.iam().send(new ListVirtualMFADevicesCommand({ AssignmentStatus: 'Assigned' }));
    assert.equal(listed.VirtualMFADevices!.map((v) => v.SerialNumber), [serial]);
    const e = await failure(again.sts().send(new AssumeRoleCommand({
      RoleArn: l.srv.fixture.roleArn, RoleSessionName: 'after', SerialNumber: serial, TokenCode: code,
    })));
    assert.is(e.message, MFA_INVALID);
    assert.equal(readdirSync(l.dir).sort(), ['state.json', 'state.json.journal', 'state.json.lock']);
    assert.is(statSync(l.statePath + '.journal').mode & 0o777, 0o600, 'the journal holds seeds too');
  } finally { await again.done(); await l.done(); }
});

test('a state file written before identity policies (no policies, no administrator, a seed user without attached) ' +
  'loads, gains the administrator, SelfManageMFA (on the seed user) and ForceMFA, and is saved', async () => {
  const t = tempDir();
  const statePath = join(t.dir, 'state.json');
  const first = await startLocalAws({ statePath, port: 0 });
  await first.close();
  const old = loadState(stateFile(statePath))!;
  const { admin, adminKey, ...fixture } = old.fixture;
  const users = { ...old.users };
  delete users[admin!];
  const { attached: _, ...seed } = users[fixture.user]!;
  users[fixture.user] = seed;
  const keys = { ...old.keys };
  delete keys[adminKey!];
  const { policies: _p, ...rest } = old;
  writeFileSync(statePath, JSON.stringify({ ...rest, users, keys, fixture }), { mode: 0o600 });
  rmSync(`${statePath}.journal`, { force: true });

  const again = await startLocalAws({ statePath, port: 0 });
  await again.close();
  const s = loadState(stateFile(statePath))!;
  assert.is(s.fixture.admin, 'local-admin');
  assert.is(s.keys[s.fixture.adminKey!]!.user, 'local-admin');
  assert.equal(s.users['local-admin']!.attached, ['arn:aws:iam::aws:policy/AdministratorAccess']);
  assert.equal(Object.keys(s.policies).sort(),
    ['arn:aws:iam::123456789012:policy/ForceMFA', 'arn:aws:iam::123456789012:policy/SelfManageMFA']);
  assert.equal(s.users[fixture.user]!.attached, ['arn:aws:iam::123456789012:policy/SelfManageMFA']);
  assert.equal(again.fixture.adminAccessKeyId, s.fixture.adminKey);
  assert.is(s.fixture.key, old.fixture.key, 'the seed key is kept');
  t.done();
});

test.run();
