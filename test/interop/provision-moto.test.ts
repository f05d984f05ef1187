// provision against moto (python3 -m moto.server), an IAM nobody here wrote: its QRCodePNG is 64
// random bytes (moto's create_virtual_mfa_device), so create must warn and fall back to Base32StringSeed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort, oracle } from '../helpers.js';
import { box, expectExit, type Box } from '../provision/lib.js';

const hasMoto = spawnSync('python3', ['-c', 'import moto.server, awscli'], { stdio: 'ignore' }).status === 0;

const M = suite('provision against moto');
let moto: ChildProcess | undefined;
let b: Box;
let env: NodeJS.ProcessEnv;

M.before(async () => {
  if (!oracle('moto', hasMoto, 'python3 cannot import moto.server and awscli')) return;
  const port = await freePort();
  moto = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${url}/moto-api/`)).status < 500) break; } catch { /* not yet */ }
    if (i > 600) throw new Error('moto did not start within 120 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  b = box();
  env = {
    AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_DEFAULT_REGION: 'us-east-1',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_IAM: url, AWS_ENDPOINT_URL_STS: url,
  };
  expectExit(await b.t(['init']), 0, 'token init');
});

M.after(async () => {
  if (moto && moto.exitCode === null) {
    await new Promise<void>((r) => { moto!.once('exit', () => r()); moto!.kill('SIGTERM'); });
  }
  b?.done();
});

const aws = (args: string[]) => new Promise<{ code: number; out: string; err: string }>((res) => {
  const c = spawn('python3', ['-m', 'awscli', ...args, '--output', 'json'], { env: { ...b.env, ...env } });
  let out = '', err = '';
  c.stdout.on('data', (d) => (out += d)); c.stderr.on('data', (d) => (err += d));
  c.on('close', (code) => res({ code: code ?? 1, out, err }));
});

M('create --user after `aws iam create-user`, tolerating the non-PNG QR; list; remove', async () => {
  if (!moto) return;
  const u = await aws(['iam', 'create-user', '--user-name', 'alice']);
  assert.is(u.code, 0, u.err);

  const r = expectExit(await b.p(['create', 'alice-mfa', '--user', 'alice', '--json'], 0, env), 0, 'create');
  const j = JSON.parse(r.stdout);
  assert.is(j.serialNumber, 'arn:aws:iam::123456789012:mfa/alice-mfa');
  assert.is(j.credential, 'Amazon Web Services:alice-mfa@123456789012');
  assert.equal([j.userName, j.enabled], ['alice', true]);
  assert.match(r.stderr, new RegExp(/^provision: warning: alice-mfa: QRCodePNG is not a PNG \(64 bytes; /.source +
    /moto sends random bytes\): using Base32StringSeed alone\n$/.source));

  const devices = JSON.parse((await aws(['iam', 'list-mfa-devices', '--user-name', 'alice'])).out).MFADevices;
  assert.equal(devices.map((d: { SerialNumber: string }) => d.SerialNumber), [j.serialNumber]);

  const rows = JSON.parse(expectExit(await b.p(['list', '--json'], 0, env), 0, 'list').stdout);
  assert.equal(rows.map((x: Record<string, unknown>) => [x.serialNumber, x.assigned, x.userName, x.holding]),
    [[j.serialNumber, true, 'alice', 'on-token']]);
  const ids = JSON.parse((await b.t(['list', '--json'])).stdout).map((c: { id: string }) => c.id);
  assert.equal(ids, [j.credential]);

  const rm = expectExit(await b.p(['remove', '--user', 'alice', '--serial', j.serialNumber, '--json'], 0, env), 0,
    'remove');
  assert.equal(JSON.parse(rm.stdout).deleted, true);
  assert.equal(JSON.parse(expectExit(await b.p(['list', '--json'], 0, env), 0, 'list after').stdout), []);
  assert.equal(JSON.parse((await b.t(['list', '--json'])).stdout), []);
  assert.equal(JSON.parse((await aws(['iam', 'list-mfa-devices', '--user-name', 'alice'])).out).MFADevices, []);
});

M('create without --user and a rollback against moto leave moto clean', async () => {
  if (!moto) return;
  const r = expectExit(await b.p(['create', 'spare'], 0, { ...env, PROVISION_FAIL_AT: 'enroll' }), 1, 'injected');
  assert.match(r.stderr, new RegExp(
    /rolled back: removed 'Amazon Web Services:spare@123456789012' from token FOB\d+, /.source +
    /deleted IAM device arn:aws:iam::123456789012:mfa\/spare/.source));
  const list = JSON.parse((await aws(['iam', 'list-virtual-mfa-devices'])).out).VirtualMFADevices;
  assert.equal(list, []);
});

M.run();
