// Trust policies as an attacker writes them: a glob built to backtrack, sent through the real
// `provision local-aws` process, which must keep answering and stop on SIGTERM; the quota on a
// trust policy's size; and AWS's rule for negated operators on a missing key.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { PROVISION, tempDir } from '../../helpers.js';
import { failure, localAws, type Local } from './helpers.js';

const USER_ARN = 'arn:aws:iam::123456789012:user/service-user/kjh-SuperDuperUser';
/** Each call gets this long: a stalled event loop fails it, a busy machine does not. */
const CALL_MS = 30_000;
const within = () => ({ abortSignal: AbortSignal.timeout(CALL_MS) });
const trust = (condition?: object) => JSON.stringify({
  Version: '2012-10-17',
  Statement: [{
    Effect: 'Allow', Principal: { AWS: USER_ARN }, Action: 'sts:AssumeRole',
    ...(condition ? { Condition: condition } : {}),
  }],
});

const P = suite('local-aws process: a backtracking glob in a trust policy');

interface Proc {
  child: ChildProcess; exit: Promise<{ code: number | null; signal: string | null }>; info: Record<string, string>;
}

function startProcess(statePath: string): Promise<Proc> {
  const child = spawn(process.execPath, [PROVISION, 'local-aws', '--port', '0', '--json', '--state', statePath], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' },
  });
  const exit = new Promise<{ code: number | null; signal: string | null }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal })));
  return new Promise((resolve, reject) => {
    let out = '', err = '';
    child.stderr!.on('data', (b) => (err += b));
    child.stdout!.on('data', (b) => {
      out += b;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, exit, info: JSON.parse(out.slice(0, nl)) as Record<string, string> });
    });
    void exit.then((e) => reject(new Error(`local-aws exited early (${e.code ?? e.signal}): ${err}`)));
  });
}

P('"************!" against a 64-character RoleSessionName: AccessDenied at once, the server still answers, ' +
  'SIGTERM stops it', async () => {
  const t = tempDir('local-policy-');
  const p = await startProcess(join(t.dir, 'state.json'));
  try {
    const cfg = {
      region: 'us-east-1', endpoint: p.info.endpoint!, maxAttempts: 1,
      credentials: { accessKeyId: p.info.accessKeyId!, secretAccessKey: p.info.secretAccessKey! },
    };
    // The administrator sets the roles up; the seed user (whom they trust) assumes them.
    const iam = new IAMClient({ ...cfg, credentials: { accessKeyId: p.info.adminAccessKeyId!,
      secretAccessKey: p.info.adminSecretAccessKey! } }), sts = new STSClient(cfg);
    for (const [role, tail] of [['redos', '!'], ['redos-at', '@']] as const) {
      await iam.send(new CreateRoleCommand({
        RoleName: role,
        AssumeRolePolicyDocument: trust({ StringLike: { 'sts:RoleSessionName': `${'*'.repeat(12)}${tail}` } }),
      }), within());
    }
    const arn = (role: string) => `arn:aws:iam::123456789012:role/${role}`;
    const e = await failure(sts.send(new AssumeRoleCommand({ RoleArn: arn('redos'), RoleSessionName: 'a'.repeat(64) }),
      within()));
    assert.is(e.name, 'AccessDenied', e.message);
    const at = `${'a'.repeat(63)}@`;
    const ok = await sts.send(new AssumeRoleCommand({ RoleArn: arn('redos-at'), RoleSessionName: at }), within());
    assert.is(ok.AssumedRoleUser!.Arn, `arn:aws:sts::123456789012:assumed-role/redos-at/${at}`);
    assert.is((await sts.send(new GetCallerIdentityCommand({}), within())).Arn, USER_ARN);
    p.child.kill('SIGTERM');
    const stop = await Promise.race([p.exit, new Promise<null>((r) => setTimeout(() => r(null), CALL_MS))]);
    assert.ok(stop, 'local-aws ignored SIGTERM');
    assert.is(stop!.code, 0);
  } finally {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.exit;
    t.done();
  }
});

P.run();

const Q = suite('local trust policies: the size quota and negated operators');
let l: Local;
Q.before(async () => { l = await localAws(); });
Q.after(async () => { await l.done(); });

Q('a trust policy over 2048 characters (whitespace not counted) → LimitExceeded 409 with IAM\'s text; ' +
  'indentation does not count', async () => {
  const big = trust({
    StringNotEquals: { 'sts:ExternalId': Array.from({ length: 120 }, (_, i) => `x${String(i).padStart(14, '0')}`) },
  });
  assert.ok(big.length > 2048);
  const e = await failure(l.iam().send(new CreateRoleCommand({ RoleName: 'too-big', AssumeRolePolicyDocument: big })));
  assert.is(e.name, 'LimitExceededException');
  assert.is(e.message, 'Cannot exceed quota for ACLSizePerRole: 2048');
  assert.is(e.$metadata.httpStatusCode, 409);
  const airy = trust().replace(/,/g, `,\n${' '.repeat(1000)}`);
  assert.ok(airy.length > 2048 && airy.replace(/\s/g, '').length < 2048);
  await l.iam().send(new CreateRoleCommand({ RoleName: 'airy', AssumeRolePolicyDocument: airy }));
});

Q('StringNotEquals / StringNotLike on a key the request lacks hold (AWS: the negated condition is true); ' +
  'StringLike on it does not', async () => {
  await l.iam().send(new CreateRoleCommand({
    RoleName: 'not-x', AssumeRolePolicyDocument: trust({ StringNotEquals: { 'sts:ExternalId': 'blocked' } }),
  }));
  await l.iam().send(new CreateRoleCommand({
    RoleName: 'not-like', AssumeRolePolicyDocument: trust({ StringNotLike: { 'sts:SourceIdentity': 'bad*' } }),
  }));
  await l.iam().send(new CreateRoleCommand({
    RoleName: 'like', AssumeRolePolicyDocument: trust({ StringLike: { 'sts:ExternalId': '*' } }),
  }));
  const arn = (n: string) => `arn:aws:iam::123456789012:role/${n}`;
  await l.sts().send(new AssumeRoleCommand({ RoleArn: arn('not-x'), RoleSessionName: 's1' }));
  await l.sts().send(new AssumeRoleCommand({ RoleArn: arn('not-like'), RoleSessionName: 's2' }));
  assert.is((await failure(l.sts().send(new AssumeRoleCommand({
    RoleArn: arn('not-x'), RoleSessionName: 's3', ExternalId: 'blocked',
  })))).name, 'AccessDenied');
  assert.is((await failure(l.sts().send(new AssumeRoleCommand({ RoleArn: arn('like'), RoleSessionName: 's4' })))).name,
    'AccessDenied');
  await l.sts().send(new AssumeRoleCommand({ RoleArn: arn('like'), RoleSessionName: 's5', ExternalId: 'anything' }));
});

Q.run();
