import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  CreateUserCommand, CreateVirtualMFADeviceCommand, GetRoleCommand, GetUserCommand, ListUsersCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, GetSessionTokenCommand } from '@aws-sdk/client-sts';
import { credsOf, failure, localAws, type Creds, type Local } from './helpers.js';

const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Raw { service?: 'iam' | 'sts'; region?: string; body?: string; method?: 'GET' | 'POST';
  query?: Record<string, string>; at?: Date; tamper?: string }

/** A request signed by the SDK's signer, sent with fetch, answered raw. */
async function raw(l: Local, c: Creds | null, o: Raw = {}) {
  const url = new URL(l.srv.endpoint);
  const headers: Record<string, string> = { host: url.host };
  if (o.method !== 'GET') headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
  let req = { method: o.method ?? 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/',
    query: o.query ?? {}, headers, body: o.body };
  if (c) {
    const signer = new SignatureV4({ credentials: c, region: o.region ?? 'us-east-1', service: o.service ?? 'iam',
      sha256: Sha256 });
    req = await signer.sign(req, { signingDate: o.at ?? new Date() }) as typeof req;
  }
  const qs = new URLSearchParams(req.query).toString();
  const res = await fetch(`${l.srv.endpoint}/${qs ? `?${qs}` : ''}`, {
    method: req.method, headers: req.headers, ...(req.method === 'POST' ? { body: o.tamper ?? req.body } : {}),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const S = suite('local IAM/STS: the Query protocol on the wire');
let l: Local;
S.before(async () => { l = await localAws(); });
S.after(async () => { await l.done(); });

S('a success answer is <OpResponse xmlns=STS><OpResult>…, text/xml, ' +
  'with x-amzn-RequestId = the body RequestId', async () => {
  const r = await raw(l, l.creds, { service: 'sts', body: 'Action=GetCallerIdentity&Version=2011-06-15' });
  assert.is(r.status, 200);
  assert.is(r.headers.get('content-type'), 'text/xml');
  const id = r.headers.get('x-amzn-requestid')!;
  assert.match(id, UUID);
  assert.ok(r.text.startsWith(`<GetCallerIdentityResponse xmlns="${STS_NS}"><GetCallerIdentityResult>`), r.text);
  assert.ok(r.text.includes(
    `<ResponseMetadata><RequestId>${id}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`));
  assert.ok(r.text.includes('<Account>123456789012</Account>'));
});

S('an IAM error is <ErrorResponse xmlns=IAM> with Type, Code, Message, RequestId and the model status; ' +
  'the SDK maps it', async () => {
  const r = await raw(l, l.admin, { body: 'Action=GetRole&Version=2010-05-08&RoleName=nope' });
  assert.is(r.status, 404);
  const id = r.headers.get('x-amzn-requestid');
  assert.is(r.text.trim(), `<ErrorResponse xmlns="${IAM_NS}"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>` +
    `<Message>The role with name nope cannot be found.</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`);
  const e = await failure(l.iam().send(new GetRoleCommand({ RoleName: 'nope' })));
  assert.is(e.name, 'NoSuchEntityException');
  assert.is(e.$fault, 'client');
  assert.match(e.$metadata.requestId!, UUID);
});

S('actions without output answer a bare <OpResponse> with ResponseMetadata ' +
  '(botocore refuses an empty 200)', async () => {
  await l.iam().send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'wire-bare' }));
  const r = await raw(l, l.admin, { body: 'Action=DeleteVirtualMFADevice&Version=2010-05-08' +
    '&SerialNumber=arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Fwire-bare' });
  assert.is(r.status, 200);
  assert.match(r.text, new RegExp(`^<DeleteVirtualMFADeviceResponse xmlns="${IAM_NS}"><ResponseMetadata>` +
    `<RequestId>[0-9a-f-]{36}</RequestId></ResponseMetadata></DeleteVirtualMFADeviceResponse>`));
});

S('unknown action → InvalidAction 400; no Authorization → MissingAuthenticationToken 403', async () => {
  const a = await raw(l, l.admin, { body: 'Action=DeleteUniverse&Version=2010-05-08' });
  assert.is(a.status, 400);
  assert.ok(a.text.includes('<Code>InvalidAction</Code>' +
    '<Message>Could not find operation DeleteUniverse for version 2010-05-08</Message>'), a.text);
  const b = await raw(l, null, { body: 'Action=GetUser&Version=2010-05-08' });
  assert.is(b.status, 403);
  assert.ok(b.text.includes('<Code>MissingAuthenticationToken</Code>'));
});

S('an unknown access key → InvalidClientTokenId; a wrong secret → SignatureDoesNotMatch; both 403', async () => {
  const e1 = await failure(l.sts({ accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x'.repeat(40) })
    .send(new GetCallerIdentityCommand({})));
  assert.is(e1.name, 'InvalidClientTokenId');
  assert.is(e1.message, 'The security token included in the request is invalid.');
  assert.is(e1.$metadata.httpStatusCode, 403);
  const e2 = await failure(l.sts({
    ...l.creds, secretAccessKey: l.creds.secretAccessKey.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
  }).send(new GetCallerIdentityCommand({})));
  assert.is(e2.name, 'SignatureDoesNotMatch');
  assert.ok(e2.message.startsWith('The request signature we calculated does not match the signature you provided.'));
  assert.is(e2.$metadata.httpStatusCode, 403);
});

S('a body changed after signing is refused: the signature covers the payload hash', async () => {
  const r = await raw(l, l.admin,
    { body: 'Action=GetUser&Version=2010-05-08', tamper: 'Action=GetUser&Version=2010-05-08&UserName=x' });
  assert.is(r.status, 403);
  assert.ok(r.text.includes('<Code>SignatureDoesNotMatch</Code>'));
});

S('the scope must name the service the Version routes to; ' +
  'any region is accepted (custom endpoints sign with the client region)', async () => {
  const bad = await raw(l, l.creds, { service: 'sts', body: 'Action=GetUser&Version=2010-05-08' });
  assert.is(bad.status, 403);
  assert.ok(bad.text.includes("<Message>Credential should be scoped to correct service: 'iam'. </Message>"), bad.text);
  const ok = await raw(l, l.admin, { region: 'eu-west-1', body: 'Action=GetUser&Version=2010-05-08' });
  assert.is(ok.status, 200);
});

S('a signature 20 minutes old is expired; the SigV4 clock is the real one even under a fixed TOTP clock', async () => {
  const e = await failure(l.sts(l.creds, { systemClockOffset: -20 * 60_000 }).send(new GetCallerIdentityCommand({})));
  assert.is(e.name, 'SignatureDoesNotMatch');
  assert.match(e.message,
    /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
});

S('session keys need their own token: none or another one → InvalidClientTokenId', async () => {
  const s = await l.sts().send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
  const c = credsOf(s.Credentials);
  assert.match(c.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
  const ok = await l.sts(c).send(new GetCallerIdentityCommand({}));
  assert.is(ok.Arn, l.srv.fixture.userArn);
  const none = await failure(l.sts({ accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey })
    .send(new GetCallerIdentityCommand({})));
  assert.is(none.name, 'InvalidClientTokenId');
  const other = await failure(l.sts({ ...c, sessionToken: c.sessionToken!.slice(1) + 'A' })
    .send(new GetCallerIdentityCommand({})));
  assert.is(other.name, 'InvalidClientTokenId');
});

S('a signed GET with the parameters in the query string works too', async () => {
  const r = await raw(l, l.admin, { method: 'GET', query: { Action: 'GetUser', Version: '2010-05-08' } });
  assert.is(r.status, 200, r.text);
  assert.ok(r.text.includes('<UserName>local-admin</UserName>'));
});

S("form decoding: botocore's '+' for space and %2B for '+' both arrive right", async () => {
  const body = 'Action=CreateUser&Version=2010-05-08&UserName=wire-tags' +
    '&Tags.member.1.Key=team+name&Tags.member.1.Value=a%2Bb';
  const r = await raw(l, l.admin, { body });
  assert.is(r.status, 200, r.text);
  const u = await l.iam().send(new GetUserCommand({ UserName: 'wire-tags' }));
  assert.equal(u.User!.Tags, [{ Key: 'team name', Value: 'a+b' }]);
});

S.run();

const Th = suite('local IAM/STS: --throttle');

Th('requests beyond RATE per second get Throttling / Rate exceeded (400); a second later they pass again', async () => {
  const t = await localAws({ throttle: 2 });
  try {
    const iam = t.iam();
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => iam.send(new ListUsersCommand({}))));
    const bad = results.filter((r) => r.status === 'rejected').map((r) =>
      (r as PromiseRejectedResult).reason as { name: string; message: string; $metadata: { httpStatusCode: number } });
    assert.ok(bad.length >= 3, `only ${bad.length} of 6 throttled`);
    assert.ok(results.filter((r) => r.status === 'fulfilled').length >= 1);
    for (const e of bad) {
      assert.is(e.name, 'Throttling');
      assert.is(e.message, 'Rate exceeded');
      assert.is(e.$metadata.httpStatusCode, 400);
    }
    await new Promise((r) => setTimeout(r, 1100));
    await iam.send(new ListUsersCommand({}));
  } finally { await t.done(); }
});

Th("the SDK's own backoff gets every call through a throttled endpoint", async () => {
  const t = await localAws({ throttle: 2 });
  try {
    const iam = t.iam(t.admin, { maxAttempts: 8 });
    const names = ['bk-1', 'bk-2', 'bk-3', 'bk-4'];
    await Promise.all(names.map((n) => iam.send(new CreateUserCommand({ UserName: n }))));
    const all = await iam.send(new ListUsersCommand({}));
    for (const n of names) assert.ok(all.Users!.some((u) => u.UserName === n));
  } finally { await t.done(); }
});

Th.run();
