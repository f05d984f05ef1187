// The seed scenario (an MFA-only role assumed with the token's code) with the real AWS CLI v1 (botocore's own signer
// and prompt) and the token in the loop: provision burns and enables the device, then the CLI uses
// `--token-code "$(token code … --fresh)"`, the mfa_serial profile prompt answered through a pty,
// and provision as a credential_process.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostClock } from '../../lib/clock.js';
import { startLocalAws, type LocalAws } from '../../provision/local/server.js';
import { PROVISION, TOKEN, answerOnTty, oracle } from '../helpers.js';
import { ACCOUNT, ROLE, T0, USER, box, expectExit, serialOf, type Box } from '../provision/lib.js';

const hasCli = spawnSync('python3', ['-c', 'import awscli'], { stdio: 'ignore' }).status === 0;
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

const A = suite('seed post: AWS CLI + provision + token');
const SERIAL = serialOf(USER, '/service-user/');
const ID = `Amazon Web Services:${USER}@${ACCOUNT}`;

// One simulated clock for the endpoint (in this process) and every CLI run (TOTP_FOB_NOW).
let cur = 0;
const clock: HostClock = {
  now: () => T0 + cur, sleep: async (ms) => { cur += ms / 1000; }, simulated: true, fixed: true,
};
let srv: LocalAws | undefined;
let b: Box;
let env: NodeJS.ProcessEnv;
const now = () => new Date((T0 + cur) * 1000).toISOString();

A.before(async () => {
  if (!oracle('aws-cli', hasCli, 'python3 cannot import awscli')) return;
  b = box();
  srv = await startLocalAws({ statePath: join(b.dir, 'local-aws.json'), clock });
  const f = srv.fixture;
  writeFileSync(b.env.AWS_SHARED_CREDENTIALS_FILE!,
    `[${USER}]\naws_access_key_id = ${f.accessKeyId}\naws_secret_access_key = ${f.secretAccessKey}\n`, { mode: 0o600 });
  writeFileSync(b.env.AWS_CONFIG_FILE!, [
    `[profile ${USER}]`, 'region = us-east-1', '',
    '[profile kjh-DuperRole]', `role_arn = ${ROLE}`, `source_profile = ${USER}`, `mfa_serial = ${SERIAL}`,
    'region = us-east-1', '',
    '[profile fob]',
    `credential_process = ${process.execPath} ${PROVISION} session --role ${ROLE} ` +
      `--credential-process --profile ${USER}`,
    'region = us-east-1', '',
  ].join('\n'));
  env = { ...b.env, AWS_ENDPOINT_URL_IAM: srv.endpoint, AWS_ENDPOINT_URL_STS: srv.endpoint, AWS_PAGER: '' };
});

A.after(async () => { await srv?.close(); b?.done(); });

interface Out { code: number; stdout: string; stderr: string }
const sh = (cmd: string, extra: NodeJS.ProcessEnv = {}) => new Promise<Out>((res) => {
  const c = spawn('sh', ['-c', cmd],
    { env: { ...env, TOTP_FOB_NOW: now(), NODE: process.execPath, TOKEN, ROLE, SERIAL, ID, ...extra } });
  let stdout = '', stderr = '';
  c.stdout.on('data', (d) => (stdout += d)); c.stderr.on('data', (d) => (stderr += d));
  c.on('close', (code) => res({ code: code ?? 1, stdout, stderr }));
});

A('provision create --profile burns and enables the device the CLI then uses', async () => {
  if (!srv) return;
  expectExit(await b.t(['init'], cur), 0, 'token init');
  const r = expectExit(await b.p(['create', USER, '--path', '/service-user/', '--user', USER, '--profile', USER,
    '--json'], cur, env), 0, 'create');
  assert.equal(JSON.parse(r.stdout).serialNumber, SERIAL);
  const devices = JSON.parse((await sh(`python3 -m awscli --profile ${USER} iam list-mfa-devices --output json`))
    .stdout).MFADevices;
  assert.equal(devices.map((d: { SerialNumber: string }) => d.SerialNumber), [SERIAL]);
});

A('assume-role without MFA is denied with the seed post\'s text', async () => {
  if (!srv) return;
  await clock.sleep(30_000);
  const r = await sh(
    `python3 -m awscli --profile ${USER} sts assume-role --role-arn "$ROLE" --role-session-name my-cli-session`);
  assert.is.not(r.code, 0);
  assert.match(r.stderr, 'An error occurred (AccessDenied) when calling the AssumeRole operation: ' +
    `User: arn:aws:iam::${ACCOUNT}:user/service-user/${USER} is not authorized to perform: sts:AssumeRole ` +
    `on resource: ${ROLE}`);
});

A('--token-code "$(token code … --fresh)" is allowed; the same code again is refused', async () => {
  if (!srv) return;
  const cmd = `python3 -m awscli --profile ${USER} sts assume-role --role-arn "$ROLE" ` +
    '--role-session-name my-cli-session ' +
    '--serial-number "$SERIAL" --token-code "$("$NODE" "$TOKEN" code "$ID" --fresh)" --output json';
  const r = await sh(cmd);
  assert.is(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.is(j.AssumedRoleUser.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/kjh-DuperRole/my-cli-session`);
  assert.match(j.Credentials.AccessKeyId, /^ASIA/);
  // Same simulated instant: the token hands out the same step, and STS has seen it.
  const again = await sh(cmd);
  assert.is.not(again.code, 0);
  assert.match(again.stderr, 'MultiFactorAuthentication failed with invalid MFA one time pass code.');
});

A('the mfa_serial profile prompts on the tty; the token\'s code answers it', async () => {
  if (!srv || !oracle('script', hasScript, 'util-linux script is missing')) return;
  await clock.sleep(30_000);
  const code = expectExit(await b.t(['code', ID, '--fresh'], cur), 0, 'token code').stdout.trim();
  assert.match(code, /^\d{6}$/);
  const out = await answerOnTty('python3 -m awscli --profile kjh-DuperRole sts get-caller-identity --output json',
    { ...env, TOTP_FOB_NOW: now() }, `Enter MFA code for ${SERIAL}: `, code);
  assert.is(out.code, 0, out.stdout);
  assert.match(out.stdout, `Enter MFA code for ${SERIAL}: `);
  assert.match(out.stdout,
    new RegExp(`"Arn": "arn:aws:sts::${ACCOUNT}:assumed-role/kjh-DuperRole/botocore-session-\\d+"`));
});

A('a credential_process profile running `provision session --credential-process` needs no prompt', async () => {
  if (!srv) return;
  await clock.sleep(30_000);
  const r = await sh('python3 -m awscli --profile fob sts get-caller-identity --output json');
  assert.is(r.code, 0, r.stderr);
  assert.match(JSON.parse(r.stdout).Arn,
    new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/kjh-DuperRole/provision-\\d+$`));
});

A.run();
