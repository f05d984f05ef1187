// A new user's first run, through the real CLI processes: an empty HOME with no token, the README's
// first command (`provision --local create …`), then the seed post's three steps with the AWS CLI v1
// against the same account, and `token code` with no query as `npm start` prints it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostClock } from '../../lib/clock.js';
import { startLocalAws, type LocalAws } from '../../provision/local/server.js';
import { TOKEN, answerOnTty, oracle } from '../helpers.js';
import { ACCOUNT, ROLE, T0, USER, box, expectExit, serialOf } from './lib.js';

const hasCli = spawnSync('python3', ['-c', 'import awscli'], { stdio: 'ignore' }).status === 0;
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

const S = suite('first run: an empty HOME, the README\'s first command, the seed post, token code');
const SERIAL = serialOf(USER, '/service-user/');
const ID = `Amazon Web Services:${USER}@${ACCOUNT}`;
const b = box('fob-first-');
const tokenPath = join(b.dir, 'state', 'totp-fob', 'token.dev');

// After the --local run, the same account is served in this process on one simulated clock that
// every CLI run shares (TOTP_FOB_NOW), so "the next step" costs no wall time.
let cur = 0;
const clock: HostClock = {
  now: () => T0 + cur, sleep: async (ms) => { cur += ms / 1000; }, simulated: true, fixed: true,
};
let srv: LocalAws | undefined;
let env: NodeJS.ProcessEnv = b.env;
const now = () => new Date((T0 + cur) * 1000).toISOString();

S.after(async () => { await srv?.close(); b.done(); });

interface Out { code: number; stdout: string; stderr: string }
const sh = (cmd: string) => new Promise<Out>((res) => {
  const c = spawn('sh', ['-c', cmd],
    { env: { ...env, TOTP_FOB_NOW: now(), NODE: process.execPath, TOKEN, ROLE, SERIAL } });
  let stdout = '', stderr = '';
  c.stdout.on('data', (d) => (stdout += d)); c.stderr.on('data', (d) => (stderr += d));
  c.on('close', (code) => res({ code: code ?? 1, stdout, stderr }));
});

S('with no token anywhere, `provision --local create … --user` makes one, says so in one line, and enables the ' +
  'device', async () => {
  assert.not.ok(existsSync(tokenPath));
  const r = expectExit(await b.p(['--local', 'create', USER, '--path', '/service-user/', '--user', USER], cur), 0,
    'create');
  assert.is(r.stdout, `${SERIAL}  ${ID}  token ${/token (FOB\d{8})/.exec(r.stdout)?.[1]}  enabled for ${USER}\n`);
  assert.is(r.stderr, `provision: created token ${/FOB\d{8}/.exec(r.stdout)![0]} at ${tokenPath} (there was none)\n`);
  assert.ok(existsSync(tokenPath));
  // The token `token enroll` would have made: same place, and `token` sees the credential.
  assert.match(expectExit(await b.t(['list', '--json'], cur), 0, 'token list --json').stdout, `"id":"${ID}"`);
  // A second command finds the token and says nothing about it.
  const again = expectExit(await b.p(['--local', 'list'], cur), 0, 'list');
  assert.is(again.stderr, '');
});

S('seed post, step 1: assume-role without MFA is AccessDenied', async () => {
  if (!oracle('aws-cli', hasCli, 'python3 cannot import awscli')) return;
  srv = await startLocalAws({ statePath: join(b.dir, 'state', 'totp-fob', 'local-aws.json'), clock });
  const f = srv.fixture;
  writeFileSync(b.env.AWS_SHARED_CREDENTIALS_FILE!,
    `[${USER}]\naws_access_key_id = ${f.accessKeyId}\naws_secret_access_key = ${f.secretAccessKey}\n`, { mode: 0o600 });
  writeFileSync(b.env.AWS_CONFIG_FILE!, [
    `[profile ${USER}]`, 'region = us-east-1', '',
    '[profile kjh-DuperRole]', `role_arn = ${ROLE}`, `source_profile = ${USER}`, `mfa_serial = ${SERIAL}`,
    'region = us-east-1', '',
  ].join('\n'));
  env = { ...b.env, AWS_ENDPOINT_URL_IAM: srv.endpoint, AWS_ENDPOINT_URL_STS: srv.endpoint, AWS_PAGER: '' };
  await clock.sleep(30_000);
  const r = await sh(
    `python3 -m awscli --profile ${USER} sts assume-role --role-arn "$ROLE" --role-session-name my-cli-session`);
  assert.is.not(r.code, 0);
  assert.match(r.stderr, `An error occurred (AccessDenied) when calling the AssumeRole operation: ` +
    `User: arn:aws:iam::${ACCOUNT}:user/service-user/${USER} is not authorized to perform: sts:AssumeRole ` +
    `on resource: ${ROLE}`);
});

S('seed post, step 2: --serial-number and --token-code "$(token code --fresh)" (no query) is allowed', async () => {
  if (!srv) return;
  const r = await sh(
    `python3 -m awscli --profile ${USER} sts assume-role --role-arn "$ROLE" --role-session-name my-cli-session ` +
    `--serial-number "$SERIAL" --token-code "$("$NODE" "$TOKEN" code --fresh)" --output json`);
  assert.is(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.is(j.AssumedRoleUser.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/kjh-DuperRole/my-cli-session`);
  assert.match(j.Credentials.AccessKeyId, /^ASIA/);
});

S('seed post, step 3: the mfa_serial profile prompts; `token code --fresh` answers it', async () => {
  if (!srv || !oracle('script', hasScript, 'util-linux script is missing')) return;
  await clock.sleep(30_000);
  const code = expectExit(await b.t(['code', '--fresh'], cur), 0, 'token code --fresh').stdout.trim();
  assert.match(code, /^\d{6}$/);
  const out = await answerOnTty('python3 -m awscli --profile kjh-DuperRole sts get-caller-identity --output json',
    { ...env, TOTP_FOB_NOW: now() }, `Enter MFA code for ${SERIAL}: `, code);
  assert.is(out.code, 0, out.stdout);
  assert.match(out.stdout,
    new RegExp(`"Arn": "arn:aws:sts::${ACCOUNT}:assumed-role/kjh-DuperRole/botocore-session-\\d+"`));
});

S('`token code` with no query means the only credential; with two it is a usage error naming both', async () => {
  await clock.sleep(30_000);
  const plain = expectExit(await b.t(['code'], cur), 0, 'token code');
  assert.match(plain.stdout, /^\d{6}\n$/);
  assert.is(plain.stderr, '');
  const j = JSON.parse(expectExit(await b.t(['code', '--json'], cur), 0, 'token code --json').stdout);
  assert.equal([j.id, j.code], [ID, plain.stdout.trim()]);
  expectExit(await b.t(['enroll', 'otpauth://totp/GitHub:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=GitHub'],
    cur), 0, 'enroll a second');
  for (const flags of [[], ['--fresh'], ['--json']]) {
    const r = expectExit(await b.t(['code', ...flags], cur), 2, `token code ${flags.join(' ')}`);
    assert.is(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^token: token FOB\\d{8} holds 2 credentials \\(${ID}, GitHub:alice\\): ` +
      `name one, e\\.g\\. token code '${ID}'\\n$`));
  }
  assert.match(expectExit(await b.t(['code', 'github'], cur), 0, 'token code github').stdout, /^\d{6}\n$/);
});

S.run();
