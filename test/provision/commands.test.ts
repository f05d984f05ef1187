// Every `provision` command as a real process (dist/provision/cli.cjs) against the local endpoint
// (--local: started in-process by each run over the state in $XDG_STATE_HOME), with a real token.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CreateVirtualMFADeviceCommand, IAMClient } from '@aws-sdk/client-iam';
import { hostClock } from '../../lib/clock.js';
import { startLocalAws } from '../../provision/local/server.js';
import { ACCOUNT, ROLE, USER, at, expectExit, localAws, serialOf, boxEach } from './lib.js';

const S = suite('provision commands against the local endpoint');
const b = boxEach(S);

const tokenIds = async (s = 0) =>
  (JSON.parse(expectExit(await b.t(['list', '--json'], s), 0, 'token list').stdout) as { id: string }[])
    .map((c) => c.id);
const listRows = async (s = 0) =>
  JSON.parse(expectExit(await b.p(['--local', 'list', '--json'], s), 0, 'list').stdout) as Record<string, unknown>[];

S('create --user: device created, QR saved 0600, burned, enabled, mapped (--json)', async () => {
  const qr = join(b.dir, 'qr.png');
  const r = expectExit(await b.p(['--local', 'create', USER, '--path', '/service-user/', '--user', USER, '--qr-out', qr,
    '--tag', 'team=infra', '--json']), 0, 'create');
  const serial = serialOf(USER, '/service-user/');
  const j = JSON.parse(r.stdout);
  assert.equal({ ...j, token: undefined }, {
    serialNumber: serial, credential: `Amazon Web Services:${USER}@${ACCOUNT}`, userName: USER, enabled: true,
    token: undefined,
  });
  assert.is(r.stderr, '', 'nothing on stderr off a TTY');
  assert.is(statSync(qr).mode & 0o777, 0o600);
  assert.equal([...readFileSync(qr).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  assert.equal(await tokenIds(), [`Amazon Web Services:${USER}@${ACCOUNT}`]);
  assert.equal(b.mapping()[serial]!.credential, `Amazon Web Services:${USER}@${ACCOUNT}`);
  assert.equal(b.mapping()[serial]!.token, j.token);
  const rows = await listRows(30);
  assert.is(rows.length, 1);
  assert.equal([rows[0]!.serialNumber, rows[0]!.assigned, rows[0]!.userName, rows[0]!.holding],
    [serial, true, USER, 'on-token']);
  const text = expectExit(await b.p(['--local', 'list'], 30), 0, 'list').stdout;
  assert.match(text, /^SERIAL\s+USER\s+TOKEN CREDENTIAL\n/);
  assert.match(text, `${serial}  ${USER}  Amazon Web Services:${USER}@${ACCOUNT}`);
});

S('create without --user leaves it unassigned; enable assigns it; a second enable is refused', async () => {
  const r = expectExit(await b.p(['--local', 'create', 'laptop']), 0, 'create');
  assert.match(r.stdout,
    /^arn:aws:iam::123456789012:mfa\/laptop  Amazon Web Services:laptop@123456789012  token FOB\d+  not enabled\n$/);
  assert.equal((await listRows())[0]!.assigned, false);
  const e = expectExit(await b.p(['--local', 'enable', '--user', USER, '--serial', serialOf('laptop')], 30), 0,
    'enable');
  assert.match(e.stdout,
    /^enabled arn:aws:iam::123456789012:mfa\/laptop for kjh-SuperDuperUser \(codes of steps \d+, \d+\)\n$/);
  assert.equal((await listRows(30))[0]!.userName, USER);
  const again = expectExit(await b.p(['--local', 'enable', '--user', USER, '--serial', serialOf('laptop'), '--json'],
    90), 1, 'enable again');
  assert.is(again.stderr, `provision: EnableMFADevice: EntityAlreadyExists: MFA Device is already in use. ` +
    `It is enabled for a user already (\`provision list\` shows whom): ` +
    `\`provision remove --serial ${serialOf('laptop')}\` and create it again to move it\n`);
});

S('session and assume-role: denied without MFA, allowed with the token\'s code, a reused step refused', async () => {
  expectExit(await b.p(['--local', 'create', USER, '--path', '/service-user/', '--user', USER]), 0, 'create');
  const no = expectExit(await b.p(['--local', 'assume-role', ROLE, '--no-mfa'], 30), 1, 'no mfa');
  assert.is(no.stderr, `provision: AssumeRole: AccessDenied: User: arn:aws:iam::${ACCOUNT}:user/service-user/${USER} ` +
    `is not authorized to perform: sts:AssumeRole on resource: ${ROLE}. ` +
    'The role\'s trust policy allows it only with MFA (Condition Bool aws:MultiFactorAuthPresent "true"): ' +
    'drop --no-mfa so the token\'s code is sent\n');
  const ok = JSON.parse(expectExit(await b.p(['--local', 'assume-role', ROLE, '--session-name', 'my-cli-session',
    '--json'], 30), 0, 'assume').stdout);
  assert.is(ok.assumedRoleArn, `arn:aws:sts::${ACCOUNT}:assumed-role/kjh-DuperRole/my-cli-session`);
  assert.match(ok.AccessKeyId, /^ASIA/);
  assert.is(ok.serialNumber, serialOf(USER, '/service-user/'));
  // Same simulated instant, same step: STS has seen that code.
  const reused = expectExit(await b.p(['--local', 'session', '--role', ROLE, '--json', '--no-cache'], 30), 1, 'reuse');
  assert.match(reused.stderr, `MultiFactorAuthentication failed with invalid MFA one time pass code. ` +
    `The code was wrong or already used: wait for the next step (30 s) and retry; ` +
    `if it keeps failing, the token's clock drifted: ` +
    `\`provision resync --user ${USER} --serial ${serialOf(USER, '/service-user/')}\`\n`);
  const cp = JSON.parse(expectExit(await b.p(['--local', 'session', '--credential-process'], 60), 0,
    'credential_process').stdout);
  assert.equal(Object.keys(cp), ['Version', 'AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration']);
  assert.is(cp.Version, 1);
  assert.ok(!Number.isNaN(Date.parse(cp.Expiration)));
  const sh = expectExit(await b.p(['--local', 'session'], 90), 0, 'session exports').stdout.split('\n');
  assert.match(sh[0]!, /^export AWS_ACCESS_KEY_ID='ASIA[A-Z0-9]+'$/);
  assert.match(sh[2]!, /^export AWS_SESSION_TOKEN='/);
});

S('remove deactivates, deletes, clears the token and the mapping', async () => {
  expectExit(await b.p(['--local', 'create', 'a1', '--user', USER]), 0, 'create a1');
  expectExit(await b.p(['--local', 'create', 'a2'], 60), 0, 'create a2');
  expectExit(await b.p(['--local', 'create', 'a3', '--user', USER], 90), 0, 'create a3');
  // No --user for an assigned device: IAM's list names the user, and it is deactivated for them.
  const looked = expectExit(await b.p(['--local', 'remove', '--serial', serialOf('a3')], 90), 0,
    'remove without --user');
  assert.match(looked.stdout, new RegExp(/^removed arn:aws:iam::123456789012:mfa\/a3: /.source +
    /deactivated for kjh-SuperDuperUser, deleted from IAM, /.source +
    /removed 'Amazon Web Services:a3@123456789012' from token FOB\d{8}\n$/.source));
  assert.is(looked.stderr, '');
  const r = expectExit(await b.p(['--local', 'remove', '--user', USER, '--serial', serialOf('a1'), '--json'], 60), 0,
    'remove');
  const j = JSON.parse(r.stdout);
  assert.equal([j.deactivated, j.deleted, j.credential], [USER, true, `Amazon Web Services:a1@${ACCOUNT}`]);
  expectExit(await b.p(['--local', 'remove', '--serial', serialOf('a2')], 60), 0, 'remove unassigned');
  assert.equal(await listRows(60), []);
  assert.equal(await tokenIds(60), []);
  assert.equal(b.mapping(), {});
  // A serial neither IAM nor the mapping knows (gone, or a typo) is a failure, not "nothing to do".
  const gone = expectExit(await b.p(['--local', 'remove', '--serial', serialOf('a2')], 60), 1, 'remove again');
  assert.match(gone.stderr, new RegExp(/^provision: no device arn:aws:iam::123456789012:mfa\/a2: /.source +
    /IAM has none and \S+provision\.json has no record of it \(see provision list\)\n$/.source));
  assert.is(gone.stdout, '');
});

S('list marks a credential renamed or deleted on the token', async () => {
  expectExit(await b.p(['--local', 'create', 'r1', 'r2']), 0, 'create two');
  expectExit(await b.t(['rename', `Amazon Web Services:r1@${ACCOUNT}`, `work:r1@${ACCOUNT}`]), 0, 'rename');
  expectExit(await b.t(['delete', `Amazon Web Services:r2@${ACCOUNT}`]), 0, 'delete');
  const rows = await listRows();
  assert.equal(rows.map((r) => [r.serialNumber, r.holding, r.renamedTo]),
    [[serialOf('r1'), 'renamed', `work:r1@${ACCOUNT}`], [serialOf('r2'), 'gone', undefined]]);
  const text = expectExit(await b.p(['--local', 'list']), 0, 'list').stdout;
  assert.match(text, `RENAMED to 'work:r1@${ACCOUNT}'`);
  assert.match(text, /GONE from token FOB\d+/);
  // enable names the trouble instead of sending codes from nowhere
  const e = expectExit(await b.p(['--local', 'enable', '--user', USER, '--serial', serialOf('r1')]), 1,
    'enable renamed');
  assert.match(e.stderr, /no longer holds 'Amazon Web Services:r1@123456789012'.*--credential ID/);
  expectExit(await b.p(['--local', 'enable', '--user', USER, '--serial', serialOf('r1'),
    '--credential', `work:r1@${ACCOUNT}`]), 0, 'enable with --credential');
});

S('the id rule: full issuer up to 64 bytes, AWS: beyond, exit 2 before anything is created', async () => {
  const n31 = 'n'.repeat(31), n40 = 'm'.repeat(40), n48 = 'x'.repeat(48);
  expectExit(await b.p(['--local', 'create', n31]), 0, '31');
  const r = expectExit(await b.p(['--local', 'create', n40, '--json']), 0, '40');
  assert.is(JSON.parse(r.stdout).credential, `AWS:${n40}@${ACCOUNT}`);
  assert.match(r.stderr, /is over 64 bytes; the token calls it 'AWS:m{40}@123456789012'/);
  const no = expectExit(await b.p(['--local', 'create', n48]), 2, '48');
  assert.match(no.stderr, /^provision: device name 'x{48}' is too long .* at most 47 bytes\n$/);
  assert.equal((await listRows()).map((x) => x.serialNumber as string).sort(), [serialOf(n40), serialOf(n31)]);
  assert.equal((await tokenIds()).sort(), [`AWS:${n40}@${ACCOUNT}`, `Amazon Web Services:${n31}@${ACCOUNT}`]);
});

S('PROVISION_LOCAL=1, TOKEN_DEVICE and --qr-out DIR; remove without the token still cleans IAM and the ' +
  'mapping', async () => {
  const other = join(b.dir, 'other.dev');
  expectExit(await b.t(['init', '--device', other]), 0, 'init other');
  const r = expectExit(await b.p(['create', 'via-env', '--qr-out', b.dir, '--json'], 0,
    { PROVISION_LOCAL: '1', TOKEN_DEVICE: other }), 0, 'env');
  const j = JSON.parse(r.stdout);
  assert.equal(JSON.parse((await b.t(['list', '--json', '--device', other])).stdout).map((c: { id: string }) => c.id),
    [j.credential]);
  assert.equal(await tokenIds(), [], 'the default token was not touched');
  assert.is(statSync(join(b.dir, 'via-env.png')).mode & 0o777, 0o600);
  const rm = expectExit(await b.p(['--local', 'remove', '--serial', j.serialNumber,
    '--device', join(b.dir, 'absent.dev')]), 0, 'remove without token');
  assert.match(rm.stdout, /deleted from IAM/);
  assert.match(rm.stderr, /no token at .*absent\.dev.*left on token FOB\d+/);
  assert.equal(b.mapping(), {});
  assert.equal(await listRows(), []);
});

S('list follows ListVirtualMFADevices pages (105 devices, 100 a page)', async () => {
  const srv = await startLocalAws({ statePath: join(b.dir, 'paged.json'), clock: hostClock(at(0)) });
  try {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const iam = new IAMClient({
      region: 'us-east-1', endpoint: srv.endpoint,
      credentials: { accessKeyId: srv.fixture.accessKeyId, secretAccessKey: srv.fixture.secretAccessKey },
    });
    for (let i = 0; i < 105; i++) {
      await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: `pg-${String(i).padStart(3, '0')}` }));
    }
    iam.destroy();
    const env = { AWS_ACCESS_KEY_ID: srv.fixture.accessKeyId, AWS_SECRET_ACCESS_KEY: srv.fixture.secretAccessKey };
    const rows = JSON.parse(expectExit(await b.p(['list', '--json', '--endpoint-url', srv.endpoint], 0, env), 0, 'list')
      .stdout);
    assert.is(rows.length, 105);
    assert.is(new Set(rows.map((r: { serialNumber: string }) => r.serialNumber)).size, 105);
    assert.ok(rows.every((r: { holding: string }) => r.holding === 'unmapped'));
  } finally { await srv.close(); }
});

S('failures are one line on stderr, exit 1; usage is exit 2', async () => {
  const usage: string[][] = [
    ['create'], ['enable', '--user', USER], ['create', 'a', '--concurrency', '0'], ['create', 'a', '--tag', 'novalue'],
    ['create', 'bad name'], ['frobnicate'], ['create', 'a', '--bogus'],
    ['--local', '--endpoint-url', 'http://127.0.0.1:9', 'list'],
  ];
  for (const a of usage) {
    const r = await b.p(a);
    assert.is(r.code, 2, `${a.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^provision: /);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const e = expectExit(await b.p(['list', '--endpoint-url', 'http://127.0.0.1:9'], 0,
    { AWS_ACCESS_KEY_ID: 'AKIAX', AWS_SECRET_ACCESS_KEY: 'x' }), 1, 'unreachable');
  assert.match(e.stderr, /^provision: ListVirtualMFADevices: cannot reach the endpoint .*\n$/);
  const nokey = expectExit(await b.p(['list', '--endpoint-url', 'http://127.0.0.1:9']), 1, 'no credentials');
  assert.match(nokey.stderr, /no AWS credentials found/);
  const notoken = expectExit(await b.p(['--local', 'create', 'z', '--device', '/dev/null/fob/none.dev']), 1,
    'token cannot be made');
  assert.match(notoken.stderr, new RegExp(
    /^provision: cannot create or open the token at \/dev\/null\/fob\/none\.dev /.source +
    /\(\/dev\/null\): ENOTDIR, .*--device or TOKEN_DEVICE\n$/.source));
  assert.equal(await listRows(), [], 'nothing was created without a token');
});

S('--endpoint-url with env credentials talks to a `provision local-aws` server; --local refuses while it holds the ' +
  'state', async () => {
  const srv = await localAws(b);
  try {
    const r = expectExit(await b.p(['create', 'srv1', '--user', USER, '--endpoint-url', srv.endpoint, '--json'], 0,
      { AWS_ACCESS_KEY_ID: srv.fixture.accessKeyId, AWS_SECRET_ACCESS_KEY: srv.fixture.secretAccessKey }), 0,
      'create via server');
    assert.is(JSON.parse(r.stdout).enabled, true);
    const busy = expectExit(await b.p(['--local', 'list']), 1, 'busy');
    assert.match(busy.stderr, new RegExp(/^provision: --local cannot start: /.source +
      /.*local-aws\.json is held by a `provision local-aws` server \(pid \d+\): /.source +
      /point --endpoint-url at that server/.source));
    const viaEnv = expectExit(await b.p(['list', '--json'], 0, srv.awsEnv), 0, 'AWS_ENDPOINT_URL_IAM');
    assert.is(JSON.parse(viaEnv.stdout)[0].serialNumber, serialOf('srv1'));
  } finally { await srv.stop(); }
  assert.ok(existsSync(join(b.dir, 'state/totp-fob/local-aws.json')));
  assert.is((await listRows()).length, 1, '--local works again once the server is gone');
});

S.run();
