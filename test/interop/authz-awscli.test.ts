// The policy lab with the real AWS CLI (botocore) against a `provision local-aws` process: the seed
// user's key is refused setup work with IAM's words, `provision create` with that key enrolls its own
// device, and simulate-principal-policy answers from the enforcing engine with typed context entries.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { oracle } from '../helpers.js';
import { exec } from '../provision/local/helpers.js';
import { box, expectExit, localAws, USER, type Box, type Server } from '../provision/lib.js';

const hasCli = spawnSync('python3', ['-c', 'import awscli'], { stdio: 'ignore' }).status === 0;
const USER_ARN = `arn:aws:iam::123456789012:user/service-user/${USER}`;

const A = suite('policy lab: AWS CLI against `provision local-aws`');
let b: Box, srv: Server | undefined;
A.before(async () => {
  if (!oracle('aws-cli', hasCli, 'python3 cannot import awscli')) return;
  b = box();
  srv = await localAws(b);
});
A.after(async () => { await srv?.stop(); b?.done(); });

const aws = (env: NodeJS.ProcessEnv, args: string[]) => exec('python3', ['-m', 'awscli', ...args, '--output', 'json'],
  { env: { ...b.env, ...env, AWS_PAGER: '' } });

A('the seed key: create-user is AccessDenied with IAM\'s sentence; `provision create --user` of its own device works',
  async () => {
  if (!srv) return;
  const r = await aws(srv.awsEnv, ['iam', 'create-user', '--user-name', 'mallory']);
  assert.is(r.code, 255, r.stderr); // AWS CLI v1: a service error exits 255
  assert.match(r.stderr, 'An error occurred (AccessDenied) when calling the CreateUser operation: ' +
    `User: ${USER_ARN} is not authorized ` +
    'to perform: iam:CreateUser on resource: arn:aws:iam::123456789012:user/mallory ' +
    'because no identity-based policy allows the iam:CreateUser action');
  expectExit(await b.t(['init']), 0, 'token init');
  const c = expectExit(await b.p(['create', USER, '--path', '/service-user/', '--user', USER, '--json'], 0, srv.awsEnv),
    0, 'create');
  assert.is(JSON.parse(c.stdout).enabled, true);
  const listed = JSON.parse((await aws(srv.awsEnv, ['iam', 'list-mfa-devices'])).stdout);
  assert.equal(listed.MFADevices.map((d: { UserName: string }) => d.UserName), [USER]);
});

A('simulate-principal-policy --context-entries …aws:MultiFactorAuthPresent,…,ContextKeyType=boolean', async () => {
  if (!srv) return;
  const sim = async (extra: string[]) => JSON.parse(expectExit(await aws(srv!.adminEnv, [
    'iam', 'simulate-principal-policy',
    '--policy-source-arn', USER_ARN, '--action-names', 'iam:DeactivateMFADevice', 'iam:CreateUser',
    '--resource-arns', USER_ARN,
    ...extra]), 0, 'simulate').stdout).EvaluationResults as
    { EvalActionName: string; EvalDecision: string; MissingContextValues: string[] }[];
  const without = await sim([]);
  assert.equal(without.map((e) => [e.EvalActionName, e.EvalDecision]),
    [['iam:DeactivateMFADevice', 'implicitDeny'], ['iam:CreateUser', 'implicitDeny']]);
  assert.equal(without[0]!.MissingContextValues, ['aws:MultiFactorAuthPresent']);
  const withMfa = await sim(['--context-entries',
    'ContextKeyName=aws:MultiFactorAuthPresent,ContextKeyValues=true,ContextKeyType=boolean']);
  assert.equal(withMfa.map((e) => e.EvalDecision), ['allowed', 'implicitDeny']);
});

A.run();
