import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CreateVirtualMFADeviceCommand, EnableMFADeviceCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { IAMClient } from '@aws-sdk/client-iam';
import { PROVISION, ROOT, tempDir } from '../helpers.js';
import { codeAt, failure, seedOf } from './local-helpers.js';

const SERVE = join(ROOT, 'test/provision/local-serve.ts');

interface Served { child: ChildProcess; first: string; stdout(): string; stderr(): string; exit: Promise<number | null> }

/** Starts a server process and waits for its first stdout line (or its exit). */
function serve(args: string[], env: NodeJS.ProcessEnv = {}, script: string[] = ['--import', 'tsx', SERVE]): Promise<Served> {
  const child = spawn(process.execPath, [...script, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no output in 20 s: ${err}`)); }, 20_000);
    const done = () => { clearTimeout(t); resolve({ child, first: out.split('\n')[0]!, stdout: () => out, stderr: () => err, exit }); };
    child.stdout!.on('data', (b) => { out += b; if (out.includes('\n')) done(); });
    child.stderr!.on('data', (b) => (err += b));
    void exit.then(done);
  });
}

const clients = (j: { endpoint: string; accessKeyId: string; secretAccessKey: string }) => {
  const cfg = { region: 'us-east-1', endpoint: j.endpoint, credentials: { accessKeyId: j.accessKeyId, secretAccessKey: j.secretAccessKey }, maxAttempts: 1 };
  return { iam: new IAMClient(cfg), sts: new STSClient(cfg) };
};

test('--json prints one line {endpoint, accountId, userName, userArn, accessKeyId, secretAccessKey, roleArn}; SIGTERM stops it with 0 and frees the lock', async () => {
  const t = tempDir();
  const state = join(t.dir, 'state.json');
  const s = await serve(['--json', '--port', '0', '--state', state]);
  const j = JSON.parse(s.first);
  assert.equal(Object.keys(j), ['endpoint', 'accountId', 'userName', 'userArn', 'accessKeyId', 'secretAccessKey', 'roleArn']);
  assert.match(j.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  const who = await clients(j).sts.send(new GetCallerIdentityCommand({}));
  assert.is(who.Arn, j.userArn);
  assert.ok(existsSync(`${state}.lock`));
  s.child.kill('SIGTERM');
  assert.is(await s.exit, 0);
  assert.is(s.stdout().trim().split('\n').length, 1);
  assert.not.ok(existsSync(`${state}.lock`));
  t.done();
});

test('the banner shows the endpoint, the access key and the matching config and credentials lines; SIGINT stops it', async () => {
  const t = tempDir();
  const s = await serve(['--port', '0', '--state', join(t.dir, 'state.json')]);
  await new Promise((r) => setTimeout(r, 200));
  const text = s.stdout();
  const endpoint = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(text)![1]!;
  const key = /aws_access_key_id = (AKIA[A-Z2-7]{16})/.exec(text)![1]!;
  const secret = /aws_secret_access_key = (\S{40})/.exec(text)![1]!;
  assert.match(text, `access key ${key} for arn:aws:iam::123456789012:user/service-user/kjh-SuperDuperUser`);
  assert.match(text, '[kjh-SuperDuperUser]\naws_access_key_id');
  assert.match(text, '[profile kjh-DuperRole]\nrole_arn = arn:aws:iam::123456789012:role/kjh-DuperRole\nsource_profile = kjh-SuperDuperUser\nmfa_serial = arn:aws:iam::123456789012:mfa/service-user/kjh-SuperDuperUser\n');
  assert.match(text, `endpoint_url = ${endpoint}`);
  const who = await clients({ endpoint, accessKeyId: key, secretAccessKey: secret }).sts.send(new GetCallerIdentityCommand({}));
  assert.match(who.Arn!, /kjh-SuperDuperUser$/);
  s.child.kill('SIGINT');
  assert.is(await s.exit, 0);
  t.done();
});

test('a second server on the same state exits 1 with one line naming the holder; bad flags exit 2', async () => {
  const t = tempDir();
  const state = join(t.dir, 'state.json');
  const a = await serve(['--json', '--port', '0', '--state', state]);
  const b = await serve(['--json', '--port', '0', '--state', state]);
  assert.is(await b.exit, 1);
  assert.is(b.stdout(), '');
  assert.is(b.stderr().trim().split('\n').length, 1);
  assert.match(b.stderr(), `in use by process ${a.child.pid}`);
  a.child.kill('SIGTERM');
  await a.exit;
  const c = await serve(['--throttle', 'fast', '--state', state]);
  assert.is(await c.exit, 2);
  assert.match(c.stderr(), '--throttle wants a positive number');
  t.done();
});

test('TOTP_FOB_NOW sets the server\'s TOTP clock: codes for that instant enable a device; --throttle is applied', async () => {
  const t = tempDir();
  const at = Date.parse('2030-06-01T12:00:05Z') / 1000;
  const s = await serve(['--json', '--port', '0', '--state', join(t.dir, 'state.json'), '--throttle', '50'], { TOTP_FOB_NOW: '2030-06-01T12:00:05Z' });
  const { iam } = clients(JSON.parse(s.first));
  const d = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'clocked' }));
  const seed = seedOf(d.VirtualMFADevice!.Base32StringSeed);
  const step = Math.floor(at / 30);
  await iam.send(new EnableMFADeviceCommand({
    UserName: 'kjh-SuperDuperUser', SerialNumber: d.VirtualMFADevice!.SerialNumber!,
    AuthenticationCode1: codeAt(seed, step - 1), AuthenticationCode2: codeAt(seed, step),
  }));
  const burst = await Promise.allSettled(Array.from({ length: 80 }, () => iam.send(new ListUsersCommand({}))));
  const throttled = burst.filter((r) => r.status === 'rejected' && (r.reason as Error).name === 'Throttling').length;
  assert.ok(throttled > 0, 'some of 80 concurrent calls throttled at 50/s');
  s.child.kill('SIGTERM');
  assert.is(await s.exit, 0);
  t.done();
});

test('`provision local-aws --json` (dist/) is wired to the same command', async () => {
  const t = tempDir();
  const state = join(t.dir, 'state.json');
  const s = await serve(['local-aws', '--json', '--port', '0', '--state', state], {}, [PROVISION]);
  assert.ok(s.first, `no JSON line; stderr: ${s.stderr()}`);
  const j = JSON.parse(s.first);
  assert.is(j.roleArn, 'arn:aws:iam::123456789012:role/kjh-DuperRole');
  const who = await clients(j).sts.send(new GetCallerIdentityCommand({}));
  assert.is(who.Arn, j.userArn);
  const wrong = await failure(clients({ ...j, secretAccessKey: 'x'.repeat(40) }).sts.send(new GetCallerIdentityCommand({})));
  assert.is(wrong.name, 'SignatureDoesNotMatch');
  s.child.kill('SIGTERM');
  assert.is(await s.exit, 0);
  assert.not.ok(existsSync(`${state}.lock`));
  t.done();
});

test.run();
