// The judge is software nobody here wrote: the AWS CLI v1 (botocore's own signer, parser and
// MFA prompt), zbarimg and oathtool, replaying the seed post against the local endpoint.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostClock } from '../../lib/clock.js';
import { startLocalAws, type LocalAws } from '../../provision/local/server.js';
import { oracle, PROVISION, tempDir } from '../helpers.js';
import { exec as run } from '../provision/local/helpers.js';

const T0 = Date.parse('2027-01-01T00:00:10Z') / 1000;
const USER_ARN = 'arn:aws:iam::123456789012:user/service-user/kjh-SuperDuperUser';
const ROLE = 'arn:aws:iam::123456789012:role/kjh-DuperRole';
const SERIAL = 'arn:aws:iam::123456789012:mfa/service-user/kjh-SuperDuperUser';
const MFA_INVALID = 'MultiFactorAuthentication failed with invalid MFA one time pass code.';

const works = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const tools = {
  cli: works('python3', ['-m', 'awscli', '--version']), oathtool: works('oathtool', ['--version']),
  zbarimg: works('zbarimg', ['--version']),
};
const ready = tools.cli && tools.oathtool && tools.zbarimg;
/** Every test's gate: each missing tool is named in the skip (or, under INTEROP=required, the failure). */
const gate = () => [
  oracle('aws-cli (python3 -m awscli)', tools.cli, 'the AWS CLI v1 (python3 -m awscli) is not installed'),
  oracle('oathtool', tools.oathtool), oracle('zbarimg', tools.zbarimg),
].every(Boolean);

// Answers botocore's getpass prompt, which reads /dev/tty, through a pseudo-terminal.
const PTY = `
import os, pty, select, sys
code = sys.argv[1]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.executable, [sys.executable, '-m', 'awscli', *sys.argv[2:]])
buf, sent = b'', False
while True:
    r, _, _ = select.select([fd], [], [], 60)
    if not r: break
    try: d = os.read(fd, 4096)
    except OSError: break
    if not d: break
    buf += d
    if not sent and b'Enter MFA code for ' in buf and buf.rstrip().endswith(b':'):
        os.write(fd, code.encode() + b'\\n'); sent = True
_, st = os.waitpid(pid, 0)
sys.stdout.buffer.write(buf)
sys.exit(os.waitstatus_to_exitcode(st))
`;

const S = suite('AWS CLI v1 against the local endpoint: the seed post, replayed');
let srv: LocalAws;
let t: { dir: string; done(): void };
let env: NodeJS.ProcessEnv;
let secret = '';
let spent = '';
const clock = hostClock(new Date(T0 * 1000).toISOString());

const aws = (...args: string[]) => run('python3', ['-m', 'awscli', ...args], { env, cwd: t.dir, timeoutMs: 60_000 });
/** oathtool's codes for the steps starting at `at` (Unix seconds); `n` consecutive. */
async function oath(at: number, n = 1): Promise<string[]> {
  const r = await run('oathtool', ['--totp', '-b', secret, '-N', `@${Math.floor(at)}`, '-w', String(n - 1)]);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

S.before(async () => {
  if (!ready) return;
  t = tempDir('awscli-local-');
  srv = await startLocalAws({ statePath: join(t.dir, 'state', 'local-aws.json'), port: 0, clock });
  const home = join(t.dir, 'home');
  mkdirSync(join(home, '.aws'), { recursive: true });
  const f = srv.fixture;
  writeFileSync(join(home, '.aws', 'credentials'), [
    `[${f.userName}]`, `aws_access_key_id = ${f.accessKeyId}`, `aws_secret_access_key = ${f.secretAccessKey}`, '',
    '[wrong-secret]', `aws_access_key_id = ${f.accessKeyId}`, `aws_secret_access_key = ${'x'.repeat(40)}`, '',
  ].join('\n'));
  writeFileSync(join(home, '.aws', 'config'), [
    `[profile ${f.userName}]`, 'region = us-east-1', '',
    '[profile wrong-secret]', 'region = us-east-1', '',
    '[profile kjh-DuperRole]', `role_arn = ${f.roleArn}`, `source_profile = ${f.userName}`, `mfa_serial = ${SERIAL}`,
    'region = us-east-1', '',
  ].join('\n'));
  env = {
    PATH: process.env.PATH, LANG: 'C.UTF-8', HOME: home,
    AWS_CONFIG_FILE: join(home, '.aws', 'config'), AWS_SHARED_CREDENTIALS_FILE: join(home, '.aws', 'credentials'),
    XDG_CONFIG_HOME: join(t.dir, 'xdg-config'), XDG_CACHE_HOME: join(t.dir, 'xdg-cache'),
    XDG_DATA_HOME: join(t.dir, 'xdg-data'), XDG_STATE_HOME: join(t.dir, 'xdg-state'),
    AWS_ENDPOINT_URL_IAM: srv.endpoint, AWS_ENDPOINT_URL_STS: srv.endpoint,
    AWS_EC2_METADATA_DISABLED: 'true', PYTHONDONTWRITEBYTECODE: '1',
  };
});
S.after(async () => { if (ready) { await srv.close(); t.done(); } });

S('1. create-virtual-mfa-device --bootstrap-method QRCodePNG writes a PNG zbarimg reads as AWS\'s otpauth URI; ' +
  'Base32StringSeed writes 64 base32 chars', async () => {
  if (!gate()) return;
  const r = await aws('--profile', 'kjh-SuperDuperUser', 'iam', 'create-virtual-mfa-device',
    '--virtual-mfa-device-name', 'kjh-SuperDuperUser',
    '--path', '/service-user/', '--outfile', 'qr.png', '--bootstrap-method', 'QRCodePNG');
  assert.is(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout), { VirtualMFADevice: { SerialNumber: SERIAL } });
  const png = join(t.dir, 'qr.png');
  assert.equal([...readFileSync(png).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const z = await run('zbarimg', ['-q', '--raw', png]);
  assert.is(z.code, 0, z.stderr);
  const m = new RegExp(/^otpauth:\/\/totp\/Amazon%20Web%20Services:kjh-SuperDuperUser@123456789012\?secret=/.source +
    /([A-Z2-7]{64})&issuer=Amazon%20Web%20Services$/.source).exec(z.stdout.trim());
  assert.ok(m, z.stdout);
  secret = m![1]!;

  const b = await aws('--profile', 'kjh-SuperDuperUser', 'iam', 'create-virtual-mfa-device',
    '--virtual-mfa-device-name', 'kjh-Backup',
    '--outfile', 'seed.txt', '--bootstrap-method', 'Base32StringSeed');
  assert.is(b.code, 0, b.stderr);
  const seed = readFileSync(join(t.dir, 'seed.txt'), 'utf8');
  assert.match(seed, /^[A-Z2-7]{64}$/);
  assert.is.not(seed, secret);
  assert.is(statSync(join(t.dir, 'seed.txt')).mode & 0o777, 0o600);
});

S('2. enable-mfa-device: wrong codes → InvalidAuthenticationCode; ' +
  'two consecutive oathtool codes from the QR\'s secret → success', async () => {
  if (!gate()) return;
  const stale = await oath(T0 - 90, 2);
  const bad = await aws('--profile', 'kjh-SuperDuperUser', 'iam', 'enable-mfa-device',
    '--user-name', 'kjh-SuperDuperUser',
    '--serial-number', SERIAL, '--authentication-code1', stale[0]!, '--authentication-code2', stale[1]!);
  assert.is.not(bad.code, 0);
  assert.match(bad.stderr, 'An error occurred (InvalidAuthenticationCode) when calling the EnableMFADevice operation');
  const [c1, c2] = await oath(T0 - 30, 2);
  const ok = await aws('--profile', 'kjh-SuperDuperUser', 'iam', 'enable-mfa-device',
    '--user-name', 'kjh-SuperDuperUser',
    '--serial-number', SERIAL, '--authentication-code1', c1!, '--authentication-code2', c2!);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(ok.stdout, '');
  const list = await aws('--profile', 'kjh-SuperDuperUser', 'iam', 'list-virtual-mfa-devices',
    '--assignment-status', 'Assigned');
  assert.is(list.code, 0, list.stderr);
  const devices = JSON.parse(list.stdout).VirtualMFADevices;
  assert.is(devices.length, 1);
  assert.is(devices[0].SerialNumber, SERIAL);
  assert.is(devices[0].User.Arn, USER_ARN);
  assert.not.ok('Base32StringSeed' in devices[0] || 'QRCodePNG' in devices[0]);
});

S('3. assume-role: without MFA the seed post\'s AccessDenied; ' +
  'with --serial-number/--token-code credentials for the session; the same code again refused', async () => {
  if (!gate()) return;
  const no = await aws('--profile', 'kjh-SuperDuperUser', 'sts', 'assume-role', '--role-arn', ROLE,
    '--role-session-name', 'my-cli-session');
  assert.is.not(no.code, 0);
  assert.is(no.stderr.trim(), 'An error occurred (AccessDenied) when calling the AssumeRole operation: ' +
    `User: ${USER_ARN} is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`);
  [spent] = await oath(T0 + 30) as [string];
  const yes = await aws('--profile', 'kjh-SuperDuperUser', 'sts', 'assume-role', '--role-arn', ROLE,
    '--role-session-name', 'my-cli-session',
    '--serial-number', SERIAL, '--token-code', spent);
  assert.is(yes.code, 0, yes.stderr);
  const j = JSON.parse(yes.stdout);
  assert.is(j.AssumedRoleUser.Arn, 'arn:aws:sts::123456789012:assumed-role/kjh-DuperRole/my-cli-session');
  assert.match(j.AssumedRoleUser.AssumedRoleId, /^AROA[A-Z2-7]+:my-cli-session$/);
  assert.match(j.Credentials.AccessKeyId, /^ASIA/);
  assert.match(j.Credentials.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const again = await aws('--profile', 'kjh-SuperDuperUser', 'sts', 'assume-role', '--role-arn', ROLE,
    '--role-session-name', 'my-cli-session',
    '--serial-number', SERIAL, '--token-code', spent);
  assert.is.not(again.code, 0);
  assert.is(again.stderr.trim(),
    `An error occurred (AccessDenied) when calling the AssumeRole operation: ${MFA_INVALID}`);
});

S('4. a role_arn + source_profile + mfa_serial profile prompts "Enter MFA code for <serial>: " on the tty ' +
  'and gets the assumed-role ARN', async () => {
  if (!gate()) return;
  await clock.sleep(60_000); // the server's step moves to T+2, past the codes already spent
  const [code] = await oath(T0 + 60) as [string];
  const r = await run('python3', ['-c', PTY, code, '--profile', 'kjh-DuperRole', 'sts', 'get-caller-identity'],
    { env, cwd: t.dir, timeoutMs: 60_000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  const out = r.stdout.replace(/\r/g, '');
  assert.ok(out.startsWith(`Enter MFA code for ${SERIAL}: `), out);
  const j = JSON.parse(out.slice(out.indexOf('{')));
  assert.match(j.Arn, /^arn:aws:sts::123456789012:assumed-role\/kjh-DuperRole\/botocore-session-\d+$/);
  assert.is(j.Account, '123456789012');
  // The CLI cached the AssumeRole answer (never the code).
  const cache = readdirSync(join(env.HOME!, '.aws', 'cli', 'cache'));
  assert.is(cache.length, 1);
  assert.match(JSON.parse(readFileSync(join(env.HOME!, '.aws', 'cli', 'cache', cache[0]!), 'utf8')).AssumedRoleUser.Arn,
    /assumed-role\/kjh-DuperRole\//);
});

S('5. a request signed with a wrong secret → SignatureDoesNotMatch', async () => {
  if (!gate()) return;
  const r = await aws('--profile', 'wrong-secret', 'sts', 'get-caller-identity');
  assert.is.not(r.code, 0);
  assert.match(r.stderr, 'An error occurred (SignatureDoesNotMatch) when calling the GetCallerIdentity operation: ' +
    'The request signature we calculated does not match the signature you provided.');
});

S.run();

// Names that are Object.prototype keys, through the CLI, across a restart of the `provision local-aws` process.
const N = suite('AWS CLI v1 against `provision local-aws`: prototype names, and CreateRole\'s shape, across a restart');

N('get-user toString and create-access-key hasOwnProperty → NoSuchEntity; ' +
  'create-user __proto__ is listed, and still there after kill -9 and a restart', async () => {
  if (!ready) return;
  const d = tempDir('awscli-proto-');
  const state = join(d.dir, 'state.json');
  const serve = async () => {
    const child = spawn(process.execPath, [PROVISION, 'local-aws', '--json', '--port', '0', '--state', state],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
    const exit = new Promise((r) => child.on('close', r));
    let out = '', err = '';
    child.stderr!.on('data', (b) => (err += b));
    const j = await new Promise<{ endpoint: string; adminAccessKeyId: string; adminSecretAccessKey: string }>(
      (res, rej) => {
        child.stdout!.on('data', (b) => { out += b; if (out.includes('\n')) res(JSON.parse(out)); });
        void exit.then(() => rej(new Error(`local-aws exited: ${err}`)));
      });
    const env = {
      PATH: process.env.PATH, LANG: 'C.UTF-8', HOME: d.dir, AWS_CONFIG_FILE: join(d.dir, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: join(d.dir, 'none'),
      // IAM setup and lookups: the administrator's key (the seed user's policy allows only its own MFA device).
      AWS_ACCESS_KEY_ID: j.adminAccessKeyId, AWS_SECRET_ACCESS_KEY: j.adminSecretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_IAM: j.endpoint, AWS_EC2_METADATA_DISABLED: 'true', PYTHONDONTWRITEBYTECODE: '1',
      AWS_MAX_ATTEMPTS: '1',
    };
    return {
      child, exit,
      cli: (...args: string[]) =>
        run('python3', ['-m', 'awscli', 'iam', ...args], { env, cwd: d.dir, timeoutMs: 60_000 }),
    };
  };
  const a = await serve();
  try {
    for (const n of ['toString', 'hasOwnProperty', '__proto__', 'constructor']) {
      const g = await a.cli('get-user', '--user-name', n);
      assert.is(g.stderr.trim(), 'An error occurred (NoSuchEntity) when calling the GetUser operation: ' +
        `The user with name ${n} cannot be found.`);
      const k = await a.cli('create-access-key', '--user-name', n);
      assert.is(k.stderr.trim(), 'An error occurred (NoSuchEntity) when calling the CreateAccessKey operation: ' +
        `The user with name ${n} cannot be found.`);
      assert.is(k.stdout, '');
    }
    const c = await a.cli('create-user', '--user-name', '__proto__');
    assert.is(c.code, 0, c.stderr);
    assert.is(JSON.parse(c.stdout).User.Arn, 'arn:aws:iam::123456789012:user/__proto__');
    const t = await a.cli('create-user', '--user-name', 'toString', '--tags', 'Key=k,Value=v');
    assert.is(t.code, 0, t.stderr);
    const listed = await a.cli('list-users');
    assert.equal(JSON.parse(listed.stdout).Users.map((u: { UserName: string }) => u.UserName).sort(),
      ['__proto__', 'kjh-SuperDuperUser', 'local-admin', 'toString']);
    const role = await a.cli('create-role', '--role-name', 'constructor', '--max-session-duration', '7200',
      '--assume-role-policy-document', JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: '123456789012' }, Action: 'sts:AssumeRole' }],
      }));
    assert.is(role.code, 0, role.stderr);
    assert.not.ok('MaxSessionDuration' in JSON.parse(role.stdout).Role, 'CreateRole\'s Role has no MaxSessionDuration');
  } finally { a.child.kill('SIGKILL'); await a.exit; }
  const b = await serve(); // takes the killed server's lock over and replays the journal
  try {
    const u = await b.cli('get-user', '--user-name', '__proto__');
    assert.is(u.code, 0, u.stderr);
    assert.is(JSON.parse(u.stdout).User.UserName, '__proto__');
    assert.equal(JSON.parse((await b.cli('get-user', '--user-name', 'toString')).stdout).User.Tags,
      [{ Key: 'k', Value: 'v' }]);
    const listed = await b.cli('list-users');
    assert.equal(JSON.parse(listed.stdout).Users.map((x: { UserName: string }) => x.UserName).sort(),
      ['__proto__', 'kjh-SuperDuperUser', 'local-admin', 'toString']);
    const g = await b.cli('get-role', '--role-name', 'constructor');
    assert.is(JSON.parse(g.stdout).Role.MaxSessionDuration, 7200, 'GetRole carries it');
    const none = await b.cli('get-user', '--user-name', 'valueOf');
    assert.match(none.stderr, '(NoSuchEntity)');
  } finally { b.child.kill('SIGTERM'); await b.exit; d.done(); }
});

N.run();
