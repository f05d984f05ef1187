// The MFA session broker as a CI robot meets it: the AWS CLI (python3 -m awscli) running
// `provision session --credential-process` against a `provision local-aws` process. What was
// spent is read from the endpoint's own state (the steps its MFA check consumed, the sessions it
// issued), not from our output. The endpoint's TOTP clock is fixed at T0, and the token records no
// high-water step under a simulated clock: a second code at the same instant is the same step,
// which the endpoint refuses, so a broker that spent two codes fails loudly here.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadState, stateFile, type State } from '../../provision/local/state.js';
import { PROVISION, oracle, run } from '../helpers.js';
import { hitModules, weigh } from '../provision/modules.js';
import {
  ACCOUNT, ROLE, T0, USER, at, box, expectExit, localAws, serialOf, type Box, type Server,
} from '../provision/lib.js';

const hasCli = spawnSync('python3', ['-c', 'import awscli'], { stdio: 'ignore' }).status === 0;
const SERIAL = serialOf(USER, '/service-user/');
const ROLE2 = `arn:aws:iam::${ACCOUNT}:role/kjh-OtherRole`;
const STEP = Math.floor(T0 / 30);

const S = suite('session broker: cache, single flight, one code for many roles (AWS CLI + local-aws)');
let b: Box;
let srv: Server;
let env: NodeJS.ProcessEnv;
const statePath = () => join(b.dir, 'local-aws.json');

S.before.each(async () => {
  b = box('fob-broker-');
  expectExit(await b.t(['init']), 0, 'token init');
  srv = await localAws(b, ['--state', statePath()]);
  const f = srv.fixture;
  writeFileSync(b.env.AWS_SHARED_CREDENTIALS_FILE!,
    `[${USER}]\naws_access_key_id = ${f.accessKeyId}\naws_secret_access_key = ${f.secretAccessKey}\n` +
    `[${f.adminUserName}]\naws_access_key_id = ${f.adminAccessKeyId}\n` +
    `aws_secret_access_key = ${f.adminSecretAccessKey}\n`, { mode: 0o600 });
  writeFileSync(b.env.AWS_CONFIG_FILE!, [
    `[profile ${USER}]`, 'region = us-east-1', '',
    '[profile fob]',
    `credential_process = ${process.execPath} ${PROVISION} session --role ${ROLE} ` +
      `--credential-process --profile ${USER}`,
    'region = us-east-1', '',
  ].join('\n'));
  env = {
    AWS_ENDPOINT_URL_IAM: srv.endpoint, AWS_ENDPOINT_URL_STS: srv.endpoint, AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    PYTHONDONTWRITEBYTECODE: '1',
  };
  // Enabling spends steps T0-1 and T0; the broker's code is then T0+1's, as a CLI run 30 s later has it.
  expectExit(await b.p(['create', USER, '--path', '/service-user/', '--user', USER, '--profile', USER], 0, env), 0,
    'create');
});
S.after.each(async () => { await srv?.stop(); b?.done(); });

/** The endpoint's state as it persisted it (the server stopped first, so nothing is in flight). */
async function endpointState(): Promise<State> {
  await srv.stop();
  return loadState(stateFile(statePath()))!;
}
const sessions = (s: State, kind: 'session' | 'role') =>
  Object.values(s.sessions).filter((x) => x.kind === kind && x.mfaAt !== undefined);
const spent = (s: State) => s.mfa[SERIAL]!.used.filter((x) => x > STEP);

const p = (args: string[], s = 30, extra: NodeJS.ProcessEnv = {}) =>
  b.p([...args, '--profile', USER], s, { ...env, ...extra });
const aws = (args: string[], s = 30, extra: NodeJS.ProcessEnv = {}) =>
  run('python3', ['-m', 'awscli', ...args],
    { env: { ...b.env, ...env, TOTP_FOB_NOW: at(s), ...extra }, timeoutMs: 120_000 });
const entries = () => {
  try {
    return readdirSync(join(b.env.XDG_CACHE_HOME!, 'totp-fob', 'sessions')).filter((f) => f.endsWith('.json'));
  } catch { return []; }
};
const roleEntry = async () => {
  const dir = join(b.env.XDG_CACHE_HOME!, 'totp-fob', 'sessions');
  const f = entries().find((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')).Key.Op === 'AssumeRole');
  assert.ok(f, 'a role entry');
  return join(dir, f!);
};

S('three `aws` calls through the credential_process profile: one MFA session, one role session, one code', async () => {
  if (!oracle('aws-cli', hasCli, 'python3 cannot import awscli')) return;
  const arns = new Set<string>();
  for (let i = 0; i < 3; i++) {
    const r = await aws(['--profile', 'fob', 'sts', 'get-caller-identity', '--output', 'json']);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stderr, '', 'nothing waited, nothing warned');
    arns.add(JSON.parse(r.stdout).Arn);
  }
  assert.is(arns.size, 1, [...arns].join(' '));
  assert.match([...arns][0]!, new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/kjh-DuperRole/provision-\\d+$`));
  for (const f of entries()) {
    assert.is(statSync(join(b.env.XDG_CACHE_HOME!, 'totp-fob', 'sessions', f)).mode & 0o777, 0o600);
  }
  // A hit is a file read: commander and the AWS SDK never load.
  const mods = hitModules(b.dir, [PROVISION, 'session', '--role', ROLE, '--credential-process', '--profile', USER],
    { ...b.env, ...env, TOTP_FOB_NOW: at(30) });
  const w = weigh(mods);
  assert.equal(w.heavy, [], mods.join('\n'));
  assert.ok(w.bytes < 64 * 1024, `the hit loads ${w.bytes} bytes of JS:\n${mods.join('\n')}`);
  const st = await endpointState();
  assert.equal(spent(st), [STEP + 1], 'the endpoint consumed one step');
  assert.is(sessions(st, 'session').length, 1, 'one GetSessionToken');
  assert.is(sessions(st, 'role').length, 1, 'one AssumeRole');
});

S('eight parallel first calls: one code, one MFA session, one role session, the same keys for all', async () => {
  const runs = await Promise.all(Array.from({ length: 8 },
    () => p(['session', '--role', ROLE, '--credential-process'])));
  for (const r of runs) expectExit(r, 0, 'parallel');
  const keys = new Set(runs.map((r) => JSON.parse(r.stdout).AccessKeyId));
  assert.is(keys.size, 1, [...keys].join(' '));
  const st = await endpointState();
  assert.equal(spent(st), [STEP + 1]);
  assert.is(sessions(st, 'session').length, 1);
  assert.is(sessions(st, 'role').length, 1);
});

S('expiry under simulated time: two hours on, the role entry is renewed from the cached MFA session with no code',
  async () => {
  const first = JSON.parse(expectExit(await p(['session', '--role', ROLE, '--json']), 0, 'first').stdout);
  assert.is(first.step, STEP + 1);
  assert.is(first.cached, false);
  const again = JSON.parse(expectExit(await p(['session', '--role', ROLE, '--json'], 40), 0, 'again').stdout);
  assert.equal([again.AccessKeyId, again.cached, again.step], [first.AccessKeyId, true, undefined]);
  const later = JSON.parse(expectExit(await p(['session', '--role', ROLE, '--json'], 0, { TOTP_FOB_NOW: '+2h' }), 0,
    '+2h').stdout);
  assert.is.not(later.AccessKeyId, first.AccessKeyId);
  assert.equal([later.cached, later.step], [false, undefined]);
  if (hasCli) {
    // The renewed keys work (the endpoint judges expiry on the real clock).
    const r = await aws(['sts', 'get-caller-identity', '--output', 'json'], 30, {
      AWS_ACCESS_KEY_ID: later.AccessKeyId, AWS_SECRET_ACCESS_KEY: later.SecretAccessKey,
      AWS_SESSION_TOKEN: later.SessionToken,
      AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_DEFAULT_REGION: 'us-east-1',
    });
    assert.is(r.code, 0, r.stderr);
  }
  const st = await endpointState();
  assert.equal(spent(st), [STEP + 1]);
  assert.is(sessions(st, 'session').length, 1);
  assert.is(sessions(st, 'role').length, 2);
});

S('a corrupt entry and a tampered one are dropped with one warning and replaced; a 0644 entry is refused; ' +
  '--no-cache neither reads nor writes', async () => {
  const first = JSON.parse(expectExit(await p(['session', '--role', ROLE, '--json']), 0, 'first').stdout);
  const path = await roleEntry();
  writeFileSync(path, '{"Version":1,"Key":', { mode: 0o600 });
  const fixed = expectExit(await p(['session', '--role', ROLE, '--json']), 0, 'corrupt');
  assert.is(fixed.stderr, `provision: warning: dropped the cached session ${path} (not JSON); getting a new one\n`);
  const renewed = JSON.parse(fixed.stdout);
  assert.is.not(renewed.AccessKeyId, first.AccessKeyId);
  assert.is(renewed.step, undefined, 'no code: the MFA session was cached');
  assert.is(JSON.parse(readFileSync(path, 'utf8')).Credentials.AccessKeyId, renewed.AccessKeyId, 'replaced');

  const e = JSON.parse(readFileSync(path, 'utf8'));
  e.Key.RoleArn = ROLE2;
  writeFileSync(path, JSON.stringify(e));
  const tampered = expectExit(await p(['session', '--role', ROLE, '--credential-process']), 0, 'tampered');
  assert.is(tampered.stderr, `provision: warning: dropped the cached session ${path} ` +
    '(its key is not the one its name stands for); getting a new one\n');

  chmodSync(path, 0o644);
  const open = expectExit(await p(['session', '--role', ROLE, '--credential-process']), 1, '0644');
  assert.is(open.stdout, '');
  assert.is(open.stderr, `provision: ${path} holds session credentials but others can read it (mode 644): ` +
    `run chmod 600 ${path}, or provision session --clear-cache\n`);
  const cleared = expectExit(await b.p(['session', '--clear-cache']), 0, 'clear');
  assert.match(cleared.stdout, /^removed 2 cached sessions from .*\/totp-fob\/sessions\n$/);
  assert.equal(entries(), []);

});

S('--no-cache writes nothing: a code spent, no entry left', async () => {
  const nc = JSON.parse(expectExit(await p(['session', '--role', ROLE, '--json', '--no-cache']), 0, 'no-cache').stdout);
  assert.equal([nc.cached, nc.step], [false, STEP + 1]);
  assert.equal(entries(), []);
});

S('--no-cache reads nothing: with a fresh entry there it still spends a code ' +
  '(the same step again, which the endpoint refuses)', async () => {
  expectExit(await p(['session', '--role', ROLE, '--json']), 0, 'cached one');
  const before = entries();
  assert.is(before.length, 2);
  const r = expectExit(await p(['session', '--role', ROLE, '--json', '--no-cache']), 1, 'no-cache');
  assert.match(r.stderr,
    'GetSessionToken: AccessDenied: MultiFactorAuthentication failed with invalid MFA one time pass code.');
  assert.equal(entries(), before);
});

S('one code, many roles: a second role, and the first with another duration, come from the same MFA session',
  async () => {
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{
      Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/service-user/${USER}` },
      Action: 'sts:AssumeRole',
      Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
    }],
  });
  if (hasCli) {
    // Setup work: the administrator makes the role (the seed user's policy allows only its own MFA device).
    const r = await aws(['--profile', srv.fixture.adminUserName, '--region', 'us-east-1', 'iam', 'create-role',
      '--role-name', 'kjh-OtherRole', '--assume-role-policy-document', trust]);
    assert.is(r.code, 0, r.stderr);
  } else return void oracle('aws-cli', hasCli, 'python3 cannot import awscli');
  const a = JSON.parse(expectExit(await p(['assume-role', ROLE, '--json']), 0, 'role 1').stdout);
  const c = JSON.parse(expectExit(await p(['session', '--role', ROLE2, '--json']), 0, 'role 2').stdout);
  const d = JSON.parse(expectExit(await p(['assume-role', ROLE, '--duration', '1800', '--json']), 0, 'role 1, 30 min')
    .stdout);
  assert.is(a.step, STEP + 1);
  assert.equal([c.step, d.step], [undefined, undefined]);
  assert.match(c.assumedRoleArn, /assumed-role\/kjh-OtherRole\//);
  assert.is(new Set([a.AccessKeyId, c.AccessKeyId, d.AccessKeyId]).size, 3);
  const st = await endpointState();
  assert.equal(spent(st), [STEP + 1]);
  assert.is(sessions(st, 'session').length, 1);
  assert.equal(sessions(st, 'role').map((x) => x.role).sort(), ['kjh-DuperRole', 'kjh-DuperRole', 'kjh-OtherRole']);
});

S('--direct: one AssumeRole carrying the code, no MFA session', async () => {
  const r = JSON.parse(expectExit(await p(['assume-role', ROLE, '--direct', '--json']), 0, 'direct').stdout);
  assert.is(r.step, STEP + 1);
  const st = await endpointState();
  assert.is(sessions(st, 'session').length, 0);
  assert.is(sessions(st, 'role').length, 1);
});

S('a bad role ARN, session name or duration exits 2 before a code is spent; ' +
  'the next call at the same instant gets that code', async () => {
  const bad: [string[], RegExp][] = [
    [['assume-role', 'arn:aws:iam::123456789012:user/kjh-DuperRole'], new RegExp(
      /^provision: 'arn:aws:iam::123456789012:user\/kjh-DuperRole' is not a role ARN: /.source +
      /it looks like arn:aws:iam::123456789012:role\/NAME\n$/.source)],
    [['session', '--role', 'kjh-DuperRole'], /is not a role ARN/],
    [['assume-role', ROLE, '--session-name', 'has space'], new RegExp(
      /^provision: --session-name 'has space' must be 2 to 64 characters of letters, digits and /.source +
      /\+=,\.@_- \(RoleSessionName\)\n$/.source)],
    [['assume-role', ROLE, '--session-name', 'x'], /--session-name 'x' must be/],
    [['assume-role', ROLE, '--duration', '50000'],
      /^provision: --duration 50000: AssumeRole takes 900 to 43200 seconds\n$/],
    [['session', '--duration', '600'], /--duration must be a whole number from 900 to 129600, not '600'/],
  ];
  for (const [args, line] of bad) {
    const r = expectExit(await p([...args, '--json']), 2, args.join(' '));
    assert.match(r.stderr, line);
    assert.is(r.stdout, '');
  }
  // Nothing was opened or sent: the same refusals with no token and no endpoint, on the real clock.
  for (const [args, line] of bad) {
    const r = expectExit(await b.p([...args, '--device', join(b.dir, 'none.dev'),
      '--endpoint-url', 'http://127.0.0.1:9'], 0, { TOTP_FOB_NOW: '' }), 2, args.join(' '));
    assert.match(r.stderr, line);
  }
  const ok = JSON.parse(expectExit(await p(['assume-role', ROLE, '--json']), 0, 'good').stdout);
  assert.is(ok.step, STEP + 1);
  const st = await endpointState();
  assert.equal(spent(st), [STEP + 1]);
});

S.run();

// On the real clock: a step the token already handed out is waited for, one line on stderr saying
// why (a credential_process's stderr is captured: nothing drawn), and the code spent is a later step.
const W = suite('session broker: a spent step waits for the next, bounded, on the real clock');
W('the current step spent by `token code --fresh`: the broker waits for the next and says so in one line', async () => {
  const w = box('fob-broker-wait-');
  const real = { TOTP_FOB_NOW: '' };
  const srv2 = await localAws(w, ['--state', join(w.dir, 'local-aws.json')], 0, real);
  try {
    const f = srv2.fixture;
    const e = {
      ...real, AWS_ACCESS_KEY_ID: f.accessKeyId, AWS_SECRET_ACCESS_KEY: f.secretAccessKey,
      AWS_ENDPOINT_URL_IAM: srv2.endpoint, AWS_ENDPOINT_URL_STS: srv2.endpoint,
    };
    expectExit(await w.t(['init'], 0, real), 0, 'init');
    expectExit(await w.p(['create', USER, '--path', '/service-user/', '--user', USER], 0, e), 0, 'create');
    const id = `Amazon Web Services:${USER}@${ACCOUNT}`;
    const handed = JSON.parse(expectExit(await w.t(['code', id, '--fresh', '--json'], 0, real), 0, 'token code').stdout)
      .step as number;
    const r = expectExit(await w.p(['session', '--role', ROLE, '--json'], 0, e), 0, 'session');
    const out = JSON.parse(r.stdout);
    assert.ok(out.step > handed, `spent step ${out.step}, after ${handed}`);
    // Usually the step has not ended yet: then exactly one line says why it waits.
    assert.match(r.stderr, new RegExp('^(provision: warning: waiting \\d+ s for the next TOTP step: ' +
      'the token hands each step\'s code out once, and this one is spent\\n)?$'));
  } finally { await srv2.stop(); w.done(); }
});
W.run();
