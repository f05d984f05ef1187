// `provision local-aws` as users run it: the real CLI (dist/provision/cli.cjs) in its own process.
// Its banner, its --json line, Ctrl-C, a second server on the same state, usage errors, and how
// `provision --local` shares (or waits for) the state.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateVirtualMFADeviceCommand, EnableMFADeviceCommand, IAMClient, ListUsersCommand, ResyncMFADeviceCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { PROVISION, tempDir } from '../../helpers.js';
import { codeAt, failure, seedOf } from './helpers.js';
import { USER, at, box, expectExit, serialOf } from '../lib.js';
import { startLocal } from '../../../provision/context.js';
import { hostClock } from '../../../lib/clock.js';
import type { ProvisionError } from '../../../provision/errors.js';

interface Served { child: ChildProcess; stdout(): string; stderr(): string; exit: Promise<number | null> }

/** `provision local-aws ARGS` (the built CLI); resolves once stdout holds `until` (or it exited). */
function serve(args: string[], env: NodeJS.ProcessEnv = {}, until = '\n'): Promise<Served> {
  const child = spawn(process.execPath, [PROVISION, 'local-aws', ...args],
    { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  const exit = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`no output in 60 s: ${err}`)); }, 60_000);
    const done = () => { clearTimeout(t); resolve({ child, stdout: () => out, stderr: () => err, exit }); };
    child.stdout!.on('data', (b) => { out += b; if (out.includes(until)) done(); });
    child.stderr!.on('data', (b) => (err += b));
    void exit.then(done);
  });
}

const clients = (j: { endpoint: string; accessKeyId: string; secretAccessKey: string }) => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const cfg = { region: 'us-east-1', endpoint: j.endpoint,
    credentials: { accessKeyId: j.accessKeyId, secretAccessKey: j.secretAccessKey }, maxAttempts: 1 };
  return { iam: new IAMClient(cfg), sts: new STSClient(cfg) };
};

test('--json prints one line {endpoint, the seed user, its key, the role, the administrator and its key}; ' +
  'SIGTERM stops it with 0 and frees the lock', async () => {
  const t = tempDir();
  const state = join(t.dir, 'state.json');
  const s = await serve(['--json', '--port', '0', '--state', state]);
  const j = JSON.parse(s.stdout().split('\n')[0]!);
  assert.equal(Object.keys(j), ['endpoint', 'accountId', 'userName', 'userArn', 'accessKeyId', 'secretAccessKey',
    'roleArn', 'adminUserName', 'adminUserArn', 'adminAccessKeyId', 'adminSecretAccessKey', 'open']);
  assert.is(j.adminUserArn, 'arn:aws:iam::123456789012:user/local-admin');
  assert.is(j.open, false);
  assert.is.not(j.adminAccessKeyId, j.accessKeyId);
  assert.match(j.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.is(j.roleArn, 'arn:aws:iam::123456789012:role/kjh-DuperRole');
  assert.is((await clients(j).sts.send(new GetCallerIdentityCommand({}))).Arn, j.userArn);
  const wrong = await failure(clients({ ...j, secretAccessKey: 'x'.repeat(40) }).sts
    .send(new GetCallerIdentityCommand({})));
  assert.is(wrong.name, 'SignatureDoesNotMatch');
  assert.ok(existsSync(`${state}.lock`));
  s.child.kill('SIGTERM');
  assert.is(await s.exit, 0);
  assert.is(s.stdout().trim().split('\n').length, 1);
  assert.not.ok(existsSync(`${state}.lock`));
  t.done();
});

test('the banner: endpoint, access key, and ~/.aws lines that work as pasted (provision --profile); ' +
  'SIGINT exits 0', async () => {
  const b = box();
  const s = await serve(['--port', '0'], { ...b.env, TOTP_FOB_NOW: at(0) }, 'AWS_ENDPOINT_URL_STS');
  try {
    const text = s.stdout();
    const endpoint = /^local IAM\/STS on (http:\/\/127\.0\.0\.1:\d+) \(account 123456789012\); Ctrl-C stops it$/m
      .exec(text)?.[1];
    assert.ok(endpoint, text);
    const key = new RegExp(/^access key (AKIA[A-Z2-7]{16}) for /.source +
      /arn:aws:iam::123456789012:user\/service-user\/kjh-SuperDuperUser /.source +
      /\(policy SelfManageMFA: its own MFA device\)$/.source, 'm').exec(text)?.[1];
    assert.ok(key, text);
    assert.match(text, new RegExp(/^admin key AKIA[A-Z2-7]{16} for /.source +
      /arn:aws:iam::123456789012:user\/local-admin \(AdministratorAccess: setup work\)$/.source, 'm'));
    assert.match(text,
      `# ~/.aws/credentials\n[kjh-SuperDuperUser]\naws_access_key_id = ${key}\naws_secret_access_key = `);
    assert.match(text,
      `# ~/.aws/config\n[profile kjh-SuperDuperUser]\nregion = us-east-1\nendpoint_url = ${endpoint}\n`);
    assert.match(text, '[profile kjh-DuperRole]\nrole_arn = arn:aws:iam::123456789012:role/kjh-DuperRole\n' +
      'source_profile = kjh-SuperDuperUser\n' +
      'mfa_serial = arn:aws:iam::123456789012:mfa/service-user/kjh-SuperDuperUser\n');
    assert.match(text, `export AWS_ENDPOINT_URL_IAM=${endpoint} AWS_ENDPOINT_URL_STS=${endpoint}`);
    assert.is(s.stderr(), '', 'no request log off a TTY');
    // The two blocks, pasted into the files the SDK reads, are enough for provision --profile.
    const block = (head: string) => text.slice(text.indexOf(head) + head.length + 1).split('\n# ')[0]!;
    writeFileSync(b.env.AWS_SHARED_CREDENTIALS_FILE!, block('# ~/.aws/credentials'));
    writeFileSync(b.env.AWS_CONFIG_FILE!,
      text.slice(text.indexOf('# ~/.aws/config') + 16, text.indexOf('# or, for tools')));
    expectExit(await b.t(['init']), 0, 'token init');
    const r = expectExit(await b.p(['create', 'ci-01', '--user', USER, '--profile', USER, '--json']), 0,
      'create --profile');
    assert.is(JSON.parse(r.stdout).enabled, true);
    s.child.kill('SIGINT');
    assert.is(await s.exit, 0);
    assert.not.ok(existsSync(join(b.dir, 'state/totp-fob/local-aws.json.lock')));
  } finally { s.child.kill('SIGKILL'); b.done(); }
});

test('one state, one server: a second local-aws exits 1 and provision --local exits 1, ' +
  'each with one line naming the server', async () => {
  const b = box();
  const a = await serve(['--json', '--port', '0'], b.env);
  try {
    const second = await serve(['--json', '--port', '0'], b.env);
    assert.is(await second.exit, 1);
    assert.is(second.stdout(), '');
    assert.is(second.stderr(), `provision local-aws: ${join(b.dir, 'state/totp-fob/local-aws.json')} ` +
      `is in use by a \`provision local-aws\` server (pid ${a.child.pid}): stop it, or use another --state file\n`);
    const local = expectExit(await b.p(['--local', 'list']), 1, '--local while served');
    assert.is(local.stderr.trim().split('\n').length, 1, local.stderr);
    assert.match(local.stderr,
      `is held by a \`provision local-aws\` server (pid ${a.child.pid}): point --endpoint-url at that server`);
    a.child.kill('SIGTERM');
    assert.is(await a.exit, 0);
  } finally { a.child.kill('SIGKILL'); b.done(); }
});

test('usage errors exit 2 with one line: bad flags, ' +
  'and a TOTP_FOB_NOW nobody can read (local-aws and --local alike)', async () => {
  const b = box();
  try {
    const bad: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['--throttle', 'fast'], {}, /--throttle wants a positive number/],
      [['--port', '70000'], {}, /--port wants a port number 0-65535/],
      [['--resync-window', '3000'], {}, new RegExp(
        /^provision local-aws: --resync-window wants whole steps either side of now, /.source +
        /1 to 2880 \(a day\), got '3000'$/.source, 'm')],
      [['--port', '0'], { PROVISION_LOCAL_RESYNC_WINDOW: '-1' },
        /PROVISION_LOCAL_RESYNC_WINDOW wants whole steps either side of now, 1 to 2880 \(a day\), got '-1'/],
      [['--bogus'], {}, /unknown option '--bogus'/],
      [['--port', '0'], { TOTP_FOB_NOW: 'next tuesday' }, /cannot read time 'next tuesday'/],
    ];
    for (const [args, env, why] of bad) {
      const s = await serve(args, { ...b.env, ...env });
      assert.is(await s.exit, 2, `${args.join(' ')}: ${s.stderr()}`);
      assert.is(s.stderr().trim().split('\n').length, 1, s.stderr());
      assert.match(s.stderr(), why);
    }
    const local = expectExit(await b.p(['--local', 'list'], 0, { TOTP_FOB_NOW: 'next tuesday' }), 2,
      '--local, bad TOTP_FOB_NOW');
    assert.match(local.stderr, /^provision: TOTP_FOB_NOW: cannot read time 'next tuesday': use ISO 8601/);
    assert.is(local.stderr.trim().split('\n').length, 1);
  } finally { b.done(); }
});

test('TOTP_FOB_NOW sets the server\'s TOTP clock: codes for that instant enable a device; ' +
  '--resync-window and --throttle are applied', async () => {
  const t = tempDir();
  const at = Date.parse('2030-06-01T12:00:05Z') / 1000;
  const s = await serve(['--json', '--port', '0', '--state', join(t.dir, 'state.json'), '--resync-window', '200'],
    { TOTP_FOB_NOW: '2030-06-01T12:00:05Z' });
  // A second server whose bucket holds one request: a burst of 40 cannot all pass however slow the machine is,
  // since at most one more token arrives per second of the burst.
  const slow = await serve(['--json', '--port', '0', '--state', join(t.dir, 'slow.json'), '--throttle', '1']);
  try {
    const { iam } = clients(JSON.parse(s.stdout().split('\n')[0]!));
    const d = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'clocked' }));
    const seed = seedOf(d.VirtualMFADevice!.Base32StringSeed);
    const step = Math.floor(at / 30);
    await iam.send(new EnableMFADeviceCommand({
      UserName: 'kjh-SuperDuperUser', SerialNumber: d.VirtualMFADevice!.SerialNumber!,
      AuthenticationCode1: codeAt(seed, step - 1), AuthenticationCode2: codeAt(seed, step),
    }));
    // --resync-window 200: a device 150 steps (75 min) ahead resyncs; the default ±20 would refuse it.
    await iam.send(new ResyncMFADeviceCommand({
      UserName: 'kjh-SuperDuperUser', SerialNumber: d.VirtualMFADevice!.SerialNumber!,
      AuthenticationCode1: codeAt(seed, step + 149), AuthenticationCode2: codeAt(seed, step + 150),
    }));
    const burstStart = Date.now();
    const burst = await Promise.allSettled(Array.from({ length: 40 }, () =>
      clients(JSON.parse(slow.stdout().split('\n')[0]!)).iam.send(new ListUsersCommand({}))));
    const secs = (Date.now() - burstStart) / 1000;
    const throttled = burst.filter((r) => r.status === 'rejected' && (r.reason as Error).name === 'Throttling').length;
    const passed = burst.filter((r) => r.status === 'fulfilled').length;
    assert.ok(passed >= 1, 'the first request of the burst passes');
    assert.ok(throttled > 0 && passed <= 1 + Math.ceil(secs),
      `--throttle 1: ${passed} passed and ${throttled} throttled in ${secs.toFixed(1)} s`);
    assert.is(passed + throttled, 40, 'every other answer is Throttling');
  } finally {
    s.child.kill('SIGTERM'); slow.child.kill('SIGTERM');
  }
  assert.is(await s.exit, 0);
  assert.is(await slow.exit, 0);
  t.done();
});

test('provision --local waits for another provision --local on the same state, and both finish', async () => {
  const b = box();
  try {
    expectExit(await b.t(['init']), 0, 'token init');
    // A lock held by a live `provision --local` (this test process plays it for 1.5 s).
    const dir = join(b.dir, 'state/totp-fob'), lock = join(dir, 'local-aws.json.lock');
    mkdirSync(dir, { recursive: true });
    writeFileSync(lock, JSON.stringify({ pid: process.pid, started: '', role: 'provision --local' }), { mode: 0o600 });
    const t0 = Date.now();
    setTimeout(() => unlinkSync(lock), 1500);
    const r = expectExit(await b.p(['--local', 'list', '--json']), 0, 'waited');
    assert.ok(Date.now() - t0 >= 1500, 'it waited for the holder');
    assert.is(r.stderr, '');
    // Two real ones at once, on one state (and two tokens): neither is refused.
    expectExit(await b.t(['init', '--device', join(b.dir, 'two.dev')]), 0, 'token two');
    const both = await Promise.all([b.p(['--local', 'create', 'one']),
      b.p(['--local', 'create', 'two', '--device', join(b.dir, 'two.dev')])]);
    for (const x of both) expectExit(x, 0, 'concurrent --local');
    const rows = JSON.parse(expectExit(await b.p(['--local', 'list', '--json']), 0, 'list').stdout);
    assert.equal(rows.map((x: { serialNumber: string }) => x.serialNumber).sort(), [serialOf('one'), serialOf('two')]);
  } finally { b.done(); }
});

test('the wait for another provision --local is bounded: past it, one line names the holder', async () => {
  const t = tempDir();
  try {
    const state = join(t.dir, 'local-aws.json');
    writeFileSync(`${state}.lock`, JSON.stringify({ pid: process.pid, started: '', role: 'provision --local' }),
      { mode: 0o600 });
    const t0 = Date.now();
    const e = await startLocal(hostClock(at(0)), {}, state, undefined, 400).then(() => null, (x: ProvisionError) => x);
    assert.ok(Date.now() - t0 >= 400, 'it waited first');
    assert.is(e?.code, 'E_LOCAL_BUSY');
    assert.is(e?.message, `--local cannot start: ${state} is held by another \`provision --local\` command ` +
      `(pid ${process.pid}): it has held it for over 0.4 s: wait for it to finish, or stop it`);
  } finally { t.done(); }
});

test.run();
