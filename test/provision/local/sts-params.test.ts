// Every AssumeRole parameter is either carried out as AWS does or refused by name: RoleArn's shape,
// session tags (validated, permitted by sts:TagSession, carried into the session and its chain as
// aws:PrincipalTag), SourceIdentity (sts:SetSourceIdentity, fixed for the chain), and the session
// policy members the endpoint cannot honour. The JS SDK and the AWS CLI drive it over HTTP.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, type AssumeRoleCommandInput } from '@aws-sdk/client-sts';
import { oracle, tempDir } from '../../helpers.js';
import { credsOf, exec, failure, localAws, type Creds, type Local } from './helpers.js';

const ACCT = '123456789012';
const USER_ARN = `arn:aws:iam::${ACCT}:user/service-user/kjh-SuperDuperUser`;
const arnOf = (role: string) => `arn:aws:iam::${ACCT}:role/${role}`;
const MALFORMED = [
  'nothing-valid-in-here', 'arn::b:::something/test-role', 'arn:a::::something/test-role',
  'arn:a:::something/test-role', 'arn:a:a::aaaaaaaaaa:',
];

let l: Local;
/** A role trusting `principal` for `actions`, under an optional condition. */
async function role(name: string, actions: string[], condition?: object, principal = USER_ARN): Promise<string> {
  await l.iam().send(new CreateRoleCommand({
    RoleName: name, AssumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow', Principal: { AWS: principal }, Action: actions, ...(condition ? { Condition: condition } : {}),
      }],
    }),
  }));
  return arnOf(name);
}
const assume = (input: Omit<AssumeRoleCommandInput, 'RoleSessionName'> & { RoleSessionName?: string }, c?: Creds) =>
  l.sts(c).send(new AssumeRoleCommand({ RoleSessionName: 'params', ...input }));
const TAG = ['sts:AssumeRole', 'sts:TagSession'];

const S = suite('local STS: AssumeRole parameters, carried out or refused by name');
S.before(async () => { l = await localAws(); });
S.after(async () => { await l.done(); });

S('a malformed RoleArn → ValidationError 400 "<arn> is invalid"; ' +
  'one under 20 characters → the model\'s length error; an unknown role keeps AccessDenied', async () => {
  for (const arn of MALFORMED) {
    const e = await failure(assume({ RoleArn: arn }));
    assert.is(e.name, 'ValidationError', arn);
    assert.is(e.message, `${arn} is invalid`);
    assert.is(e.$metadata.httpStatusCode, 400);
  }
  const short = await failure(assume({ RoleArn: 'arn:a:::' }));
  assert.is(short.message, "1 validation error detected: Value 'arn:a:::' at 'roleArn' failed to satisfy constraint: " +
    'Member must have length greater than or equal to 20');
  const none = await failure(assume({ RoleArn: arnOf('no-such-role') }));
  assert.is(none.name, 'AccessDenied');
  assert.is(none.$metadata.httpStatusCode, 403);
  // The model's checks come first: a bad session name on a well-formed ARN is reported as such.
  const name = await failure(assume({ RoleArn: 'arn:a:b:::something/test-role', RoleSessionName: 'Session1:2' }));
  assert.is(name.message, "1 validation error detected: Value 'Session1:2' at 'roleSessionName' " +
    'failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*');
});

S('session tags are validated with STS\'s texts: transitive keys must be passed tags, ' +
  'keys are unique regardless of case, ≤ 50, key ≤ 128, the charset', async () => {
  const arn = await role('tag-rules', TAG);
  const t1 = await failure(assume({
    RoleArn: arn, Tags: [{ Key: 'SessionTag1', Value: 'v' }], TransitiveTagKeys: ['InvalidKey'],
  }));
  assert.is(t1.name, 'InvalidParameterValue');
  assert.is(t1.message, 'The specified transitive tag key must be included in the requested tags.');
  assert.is(t1.$metadata.httpStatusCode, 400);
  await assume({ RoleArn: arn, Tags: [{ Key: 'SessionTag1', Value: 'v' }], TransitiveTagKeys: ['sessiontag1'] });
  const dup = await failure(assume({
    RoleArn: arn, Tags: [{ Key: 'SessionTag1', Value: 'a' }, { Key: 'sessiontag1', Value: 'b' }],
  }));
  assert.is(dup.name, 'InvalidParameterValue');
  assert.is(dup.message, 'Duplicate tag keys found. Please note that Tag keys are case insensitive.');
  const many = await failure(assume({
    RoleArn: arn, Tags: Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })),
  }));
  assert.is(many.name, 'ValidationError');
  assert.match(many.message,
    "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50");
  const long = await failure(assume({ RoleArn: arn, Tags: [{ Key: 'k'.repeat(129), Value: 'v'.repeat(257) }] }));
  assert.match(long.message, new RegExp(
    /^2 validation errors detected: .*'tags\.1\.member\.key' .*less than or equal to 128; /.source +
    /.*'tags\.1\.member\.value' .*less than or equal to 256$/.source));
  const chars = await failure(assume({ RoleArn: arn, Tags: [{ Key: 'a*b', Value: 'v' }], TransitiveTagKeys: ['a*b'] }));
  assert.match(chars.message, new RegExp(
    /^2 validation errors detected: Value 'a\*b' at 'tags\.1\.member\.key' /.source +
    /failed to satisfy constraint: Member must satisfy regular expression pattern: .*; /.source +
    /Value 'a\*b' at 'transitiveTagKeys\.1\.member'/.source));
});

S('tags need sts:TagSession in the trust policy, meet aws:RequestTag conditions, and ride in the session: ' +
  'transitive ones down the chain as aws:PrincipalTag', async () => {
  const plain = await role('no-tagging', ['sts:AssumeRole']);
  const d = await failure(assume({ RoleArn: plain, Tags: [{ Key: 'team', Value: 'ops' }] }));
  assert.is(d.name, 'AccessDenied');
  assert.is(d.message, `User: ${USER_ARN} is not authorized to perform: sts:TagSession on resource: ${plain}`);
  await assume({ RoleArn: plain }); // the same role without tags

  const first = await role('tagged-1', TAG, { StringEquals: { 'aws:RequestTag/team': 'ops' } });
  assert.is((await failure(assume({ RoleArn: first, Tags: [{ Key: 'team', Value: 'dev' }] }))).name, 'AccessDenied');
  const ops = credsOf((await assume({
    RoleArn: first, Tags: [{ Key: 'team', Value: 'ops' }, { Key: 'env', Value: 'lab' }], TransitiveTagKeys: ['team'],
  })).Credentials);
  const second = await role('tagged-2', ['sts:AssumeRole'], { StringEquals: { 'aws:PrincipalTag/team': 'ops' } },
    arnOf('tagged-1'));
  const third = await role('tagged-3', ['sts:AssumeRole'], { StringEquals: { 'aws:PrincipalTag/env': 'lab' } },
    arnOf('tagged-2'));
  const envOnce = await role('tagged-env', ['sts:AssumeRole'], { StringEquals: { 'aws:PrincipalTag/env': 'lab' } },
    arnOf('tagged-1'));
  // The session's own tags are its principal tags; the chain keeps only the transitive one.
  await assume({ RoleArn: envOnce }, ops);
  const chained = credsOf((await assume({ RoleArn: second }, ops)).Credentials);
  assert.is((await failure(assume({ RoleArn: third }, chained))).message,
    `User: arn:aws:sts::${ACCT}:assumed-role/tagged-2/params is not authorized to perform: ` +
    `sts:AssumeRole on resource: ${third}`);
  const again = await role('tagged-4', ['sts:AssumeRole'], { StringEquals: { 'aws:PrincipalTag/team': 'ops' } },
    arnOf('tagged-2'));
  await assume({ RoleArn: again }, chained);
  // A transitive key from the calling session cannot be set again, in any case.
  const over = await role('tagged-5', TAG, undefined, arnOf('tagged-1'));
  for (const Key of ['team', 'TEAM']) {
    const e = await failure(assume({ RoleArn: over, Tags: [{ Key, Value: 'dev' }] }, ops));
    assert.is(e.name, 'InvalidParameterValue');
    assert.is(e.message, "One of the specified transitive tag keys can't be set because it conflicts " +
      'with a transitive tag key from the calling session.');
  }
  // A session whose transitive team is another value finds the role closed.
  const dev = credsOf((await assume({
    RoleArn: await role('tagged-dev', TAG), Tags: [{ Key: 'team', Value: 'dev' }], TransitiveTagKeys: ['team'],
  })).Credentials);
  const closed = await role('tagged-6', ['sts:AssumeRole'], { StringEquals: { 'aws:PrincipalTag/team': 'ops' } },
    arnOf('tagged-dev'));
  assert.is((await failure(assume({ RoleArn: closed }, dev))).name, 'AccessDenied');
});

S('SourceIdentity needs sts:SetSourceIdentity, comes back in the answer, stays for the chain ' +
  'and cannot be changed there', async () => {
  const plain = await role('si-plain', ['sts:AssumeRole']);
  const d = await failure(assume({ RoleArn: plain, SourceIdentity: 'alice@example.com' }));
  assert.is(d.message, `User: ${USER_ARN} is not authorized to perform: sts:SetSourceIdentity on resource: ${plain}`);
  const first = await role('si-1', ['sts:AssumeRole', 'sts:SetSourceIdentity'],
    { StringLike: { 'sts:SourceIdentity': 'alice@*' } });
  assert.is((await failure(assume({ RoleArn: first, SourceIdentity: 'bob@example.com' }))).name, 'AccessDenied');
  const r = await assume({ RoleArn: first, SourceIdentity: 'alice@example.com' });
  assert.is(r.SourceIdentity, 'alice@example.com');
  const next = await role('si-2', ['sts:AssumeRole', 'sts:SetSourceIdentity'],
    { StringEquals: { 'aws:SourceIdentity': 'alice@example.com' } }, arnOf('si-1'));
  const nextPlain = await role('si-3', ['sts:AssumeRole'], undefined, arnOf('si-1'));
  const c = credsOf(r.Credentials);
  assert.is((await assume({ RoleArn: next }, c)).SourceIdentity, 'alice@example.com');
  assert.match((await failure(assume({ RoleArn: nextPlain }, c))).message, 'sts:SetSourceIdentity');
  const change = await failure(assume({ RoleArn: next, SourceIdentity: 'mallory' }, c));
  assert.is(change.name, 'ValidationError');
  assert.match(change.message, 'SourceIdentity cannot be changed');
});

S('Policy, PolicyArns and ProvidedContexts are refused naming the parameter; an empty PolicyArns list is no request; ' +
  'unknown parameters are refused by name', async () => {
  const arn = await role('policies', ['sts:AssumeRole']);
  const cases: [Partial<AssumeRoleCommandInput>, string][] = [
    [{ Policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}' }, 'Policy'],
    [{ PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }] }, 'PolicyArns'],
    [{
      ProvidedContexts: [{ ProviderArn: 'arn:aws:iam::aws:contextProvider/IdentityCenter', ContextAssertion: 'abcd' }],
    }, 'ProvidedContexts'],
  ];
  for (const [extra, member] of cases) {
    const e = await failure(assume({ RoleArn: arn, ...extra }));
    assert.is(e.name, 'UnsupportedParameter', member);
    assert.is(e.$metadata.httpStatusCode, 400);
    assert.match(e.message, `AssumeRole: the local endpoint does not support ${member} (`);
    assert.match(e.message, `Leave ${member} out.`);
  }
  await assume({ RoleArn: arn, PolicyArns: [] });
  // A parameter the model does not have, sent by hand.
  const url = new URL(l.srv.endpoint);
  const body = `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(arn)}` +
    '&RoleSessionName=raw&DurationSecs=900';
  const signer = new SignatureV4({ credentials: l.creds, region: 'us-east-1', service: 'sts', sha256: Sha256 });
  const req = await signer.sign({
    method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {},
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded' }, body,
  });
  const res = await fetch(`${l.srv.endpoint}/`, { method: 'POST', headers: req.headers, body });
  const text = await res.text();
  assert.is(res.status, 400);
  assert.ok(text.includes('<Code>ValidationError</Code><Message>AssumeRole does not take the parameter DurationSecs: ' +
    'this endpoint refuses what it would otherwise ignore'), text);
});

S.run();

const hasCli = spawnSync('python3', ['-m', 'awscli', '--version'], { stdio: 'ignore' }).status === 0;
const cliReady = oracle('aws-cli (python3 -m awscli)', hasCli, 'the AWS CLI v1 (python3 -m awscli) is not installed');
const C = suite('AWS CLI v1: assume-role parameters against the local endpoint');
let cl: Local;
let home: { dir: string; done(): void };
C.before(async () => { if (cliReady) { cl = await localAws(); home = tempDir('sts-params-cli-'); } });
C.after(async () => { if (cliReady) { await cl.done(); home.done(); } });

const cli = (...args: string[]) => exec('python3', ['-m', 'awscli', ...args], {
  cwd: home.dir, timeoutMs: 60_000, env: {
    PATH: process.env.PATH, LANG: 'C.UTF-8', HOME: home.dir, AWS_CONFIG_FILE: `${home.dir}/none`,
    AWS_SHARED_CREDENTIALS_FILE: `${home.dir}/none`, AWS_ACCESS_KEY_ID: cl.creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: cl.creds.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_STS: cl.srv.endpoint, AWS_EC2_METADATA_DISABLED: 'true', PYTHONDONTWRITEBYTECODE: '1',
  },
});

C('sts assume-role --role-arn <malformed> → "An error occurred (ValidationError) … <arn> is invalid"; ' +
  'an unknown role → AccessDenied; --tags / --policy refused by name', async () => {
  if (!cliReady) return;
  for (const arn of ['nothing-valid-in-here', 'arn:a:a::aaaaaaaaaa:']) {
    const r = await cli('sts', 'assume-role', '--role-arn', arn, '--role-session-name', 'cli');
    assert.is.not(r.code, 0);
    assert.is(r.stderr.trim(),
      `An error occurred (ValidationError) when calling the AssumeRole operation: ${arn} is invalid`);
  }
  const none = await cli('sts', 'assume-role', '--role-arn', arnOf('none'), '--role-session-name', 'cli');
  assert.is(none.stderr.trim(), 'An error occurred (AccessDenied) when calling the AssumeRole operation: ' +
    `User: ${USER_ARN} is not authorized to perform: sts:AssumeRole on resource: ${arnOf('none')}`);
  const fixture = arnOf('kjh-DuperRole');
  const tags = await cli('sts', 'assume-role', '--role-arn', fixture, '--role-session-name', 'cli',
    '--tags', 'Key=team,Value=ops', '--transitive-tag-keys', 'other');
  assert.is(tags.stderr.trim(), 'An error occurred (InvalidParameterValue) when calling the AssumeRole operation: ' +
    'The specified transitive tag key must be included in the requested tags.');
  const pol = await cli('sts', 'assume-role', '--role-arn', fixture, '--role-session-name', 'cli',
    '--policy', '{"Version":"2012-10-17"}');
  assert.match(pol.stderr, 'An error occurred (UnsupportedParameter) when calling the AssumeRole operation: ' +
    'AssumeRole: the local endpoint does not support Policy (');
});

C.run();
