// The policy table's long-term-key rows through moto (python3 -m moto.server with
// INITIAL_NO_AUTH_ACTION_COUNT, so it enforces after the setup calls): where moto's answer differs
// from IAM's documented one (ours), and the differences are exactly the ones moto's code explains.
// moto cannot play the other callers: its GetSessionToken hands out a key it then refuses.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { freePort, oracle } from '../helpers.js';
import { ROWS } from '../provision/policy/table.js';

const hasMoto = spawnSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore' }).status === 0;
const ACCT = '123456789012';

/** One moto user per policy set of the table, with its policies inline. */
const SETS = [...new Set(ROWS.map((r) => r[0]))];
const userFor = (set: string) => `u${SETS.indexOf(set)}`;
const VERSION: Record<string, string> = { iam: '2010-05-08', sts: '2011-06-15', ec2: '2016-11-15' };

let moto: ChildProcess | undefined;
let url = '';

async function call(creds: { accessKeyId: string; secretAccessKey: string }, service: string,
  params: Record<string, string>) {
  const u = new URL(url);
  const body = new URLSearchParams({ ...params, Version: VERSION[service]! }).toString();
  const signer = new SignatureV4({ credentials: creds, region: 'us-east-1', service, sha256: Sha256 });
  const req = await signer.sign({
    method: 'POST', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: '/', query: {},
    headers: { host: u.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body });
  const res = await fetch(`${url}/`, { method: 'POST', headers: req.headers as Record<string, string>, body });
  return { status: res.status, text: await res.text() };
}
const tag = (xml: string, t: string) => new RegExp(`<${t}>([^<]*)</${t}>`).exec(xml)?.[1];

/** The request a row stands for, as the row's own user ('alice' in the table). */
function request(action: string, resource: string, me: string): [string, Record<string, string>] {
  const [svc, op] = action.split(':') as [string, string];
  const name = resource.split('/').pop()!;
  const who = name === 'alice' ? me : name;
  switch (op) {
    case 'CreateVirtualMFADevice':
      return [svc, { Action: op, VirtualMFADeviceName: `${who}-${Math.random().toString(36).slice(2, 8)}` }];
    case 'EnableMFADevice': case 'ResyncMFADevice': return [svc, {
      Action: op, UserName: who, SerialNumber: `arn:aws:iam::${ACCT}:mfa/none`,
      AuthenticationCode1: '123456', AuthenticationCode2: '234567' }];
    case 'DeactivateMFADevice':
      return [svc, { Action: op, UserName: who, SerialNumber: `arn:aws:iam::${ACCT}:mfa/none` }];
    case 'GetMFADevice': return [svc, { Action: op, SerialNumber: `arn:aws:iam::${ACCT}:mfa/none`, UserName: who }];
    case 'CreateUser': return [svc, { Action: op, UserName: `${who}-${Math.random().toString(36).slice(2, 8)}` }];
    case 'CreateAccessKey': case 'GetUser': return [svc, { Action: op, UserName: who }];
    case 'AssumeRole': return [svc, { Action: op, RoleArn: resource, RoleSessionName: 'diff' }];
    case 'RunInstances': return [svc, { Action: op, ImageId: 'ami-12c6146b', MinCount: '1', MaxCount: '1' }];
    default: return [svc, { Action: op }];
  }
}

/**
 * Where moto and IAM part ways on these rows, and why (moto's core/authorization.py and
 * iam/access_control.py): it authorizes against `*` and never substitutes `${aws:username}`, so
 * self-manage statements deny the very actions they exist for; and it takes every condition
 * operator but StringEquals as satisfied, so an MFA-age Allow grants a long-term key and
 * a Bool "false" Deny fires where IAM's does not.
 */
const KNOWN: Record<string, 'allowed' | 'denied'> = {
  '5.1 iam:CreateVirtualMFADevice arn:aws:iam::123456789012:mfa/alice': 'denied',
  '5.1 iam:CreateVirtualMFADevice arn:aws:iam::123456789012:mfa/anything': 'denied',
  '5.1 iam:EnableMFADevice arn:aws:iam::123456789012:user/alice': 'denied',
  '5.5 ec2:RunInstances *': 'allowed',
  'Bool trap+admin iam:CreateUser arn:aws:iam::123456789012:user/mallory': 'denied',
};
export { KNOWN };

const M = suite('the policy table through moto: long-term-key rows, moto vs IAM');
M.before(async () => {
  if (!oracle('moto', hasMoto, 'python3 cannot import moto.server')) return;
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  // Setup per user: CreateUser, CreateAccessKey and one PutUserPolicy per document.
  // Plus the trust-policy case: a user, its key, its Allow of sts:AssumeRole, and the MFA-only role.
  const setup = SETS.reduce((n, set) => n + 2 + ROWS.find((r) => r[0] === set)![1].length, 0) + 4;
  moto = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore', env: { ...process.env, INITIAL_NO_AUTH_ACTION_COUNT: String(setup) } });
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${url}/moto-api/`)).status < 500) break; } catch { /* not yet */ }
    if (i > 600) throw new Error('moto did not start within 120 s');
    await new Promise((r) => setTimeout(r, 200));
  }
});
M.after(async () => {
  if (moto && moto.exitCode === null) {
    await new Promise<void>((r) => { moto!.once('exit', () => r()); moto!.kill('SIGTERM'); });
  }
});

M('every long-term-key row: moto agrees with IAM except where its known flaws say otherwise', async () => {
  if (!moto) return;
  const root = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x'.repeat(40) };
  const keys = new Map<string, { accessKeyId: string; secretAccessKey: string }>();
  for (const set of SETS) {
    const u = userFor(set);
    assert.is((await call(root, 'iam', { Action: 'CreateUser', UserName: u })).status, 200);
    const k = await call(root, 'iam', { Action: 'CreateAccessKey', UserName: u });
    keys.set(set, { accessKeyId: tag(k.text, 'AccessKeyId')!, secretAccessKey: tag(k.text, 'SecretAccessKey')! });
    const docs = ROWS.find((r) => r[0] === set)![1];
    for (const [i, d] of docs.entries()) {
      const put = await call(root, 'iam',
        { Action: 'PutUserPolicy', UserName: u, PolicyName: `p${i}`, PolicyDocument: d });
      assert.is(put.status, 200, put.text);
    }
  }
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{
    Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCT}:user/roler` },
    Action: 'sts:AssumeRole', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } }] });
  await call(root, 'iam', { Action: 'CreateUser', UserName: 'roler' });
  const rk = await call(root, 'iam', { Action: 'CreateAccessKey', UserName: 'roler' });
  await call(root, 'iam', { Action: 'PutUserPolicy', UserName: 'roler', PolicyName: 'assume',
    PolicyDocument: JSON.stringify({
      Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }],
    }) });
  assert.is((await call(root, 'iam',
    { Action: 'CreateRole', RoleName: 'mfa-only', AssumeRolePolicyDocument: trust })).status, 200);
  // Enforcement is on now: an unknown key is refused.
  assert.is((await call(root, 'iam', { Action: 'ListUsers' })).status, 403);
  const differ: string[] = [];
  for (const [set, , who, action, resource, ours] of ROWS) {
    if (who !== 'long-term key') continue;
    const [svc, params] = request(action, resource, userFor(set));
    const r = await call(keys.get(set)!, svc, params);
    const code = tag(r.text, 'Code');
    const theirs = r.status === 403 && (code === 'AccessDenied' || code === 'UnauthorizedOperation')
      ? 'denied' : 'allowed';
    const mine = ours === 'allowed' ? 'allowed' : 'denied';
    const key = `${set} ${action} ${resource}`;
    if (theirs !== mine) differ.push(`${key}: moto ${theirs}, IAM ${mine}`);
    assert.is(theirs, KNOWN[key] ?? mine, `${key}: moto answered ${r.status} ${code ?? ''}`);
  }
  // The seed post's trust policy (Bool aws:MultiFactorAuthPresent "true"): IAM refuses AssumeRole without MFA,
  // moto takes Bool as satisfied and hands out the role (the local endpoint's own suites assert IAM's answer).
  const ar = await call(
    { accessKeyId: tag(rk.text, 'AccessKeyId')!, secretAccessKey: tag(rk.text, 'SecretAccessKey')! }, 'sts',
    { Action: 'AssumeRole', RoleArn: `arn:aws:iam::${ACCT}:role/mfa-only`, RoleSessionName: 'nomfa' });
  assert.is(ar.status, 200, `moto refused AssumeRole without MFA: ${ar.text}`);
  differ.push('trust Bool MFA "true", sts:AssumeRole without MFA: moto allowed, IAM denied');
  assert.is(differ.length, Object.keys(KNOWN).length + 1, differ.join('\n'));
  process.stdout.write(`\n${differ.join('\n')}\n`);
});

M.run();
