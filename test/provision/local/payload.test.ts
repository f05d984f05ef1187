// In the Query protocol the body is the request: a signature that does not cover it lets anyone
// on the path swap it. Requests are signed by hand with the SDK's signer and sent over HTTP.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { GetUserCommand } from '@aws-sdk/client-iam';
import { failure, localAws, type Local } from './helpers.js';

const BAD_SIG = 'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

interface Send {
  /** The x-amz-content-sha256 value to sign with; absent: the header is not sent (botocore's way). */
  payloadHash?: string;
  /** Drop the payload hash header after signing, though SignedHeaders still names it. */
  dropHash?: boolean;
  /** The body that goes on the wire instead of the signed one. */
  swap?: string;
}

async function send(l: Local, body: string, o: Send = {}) {
  const url = new URL(l.srv.endpoint);
  const headers: Record<string, string> =
    { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
  if (o.payloadHash !== undefined) headers['x-amz-content-sha256'] = o.payloadHash;
  const signer = new SignatureV4({ credentials: l.admin, region: 'us-east-1', service: 'iam', sha256: Sha256 });
  const req = await signer.sign({
    method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {},
    headers, body,
  });
  const sent = { ...req.headers } as Record<string, string>;
  if (o.dropHash) delete sent['x-amz-content-sha256'];
  const res = await fetch(`${l.srv.endpoint}/`, { method: 'POST', headers: sent, body: o.swap ?? body });
  return { status: res.status, text: await res.text() };
}

const hex = (s: string) => createHash('sha256').update(s).digest('hex');
const createUser = (name: string) => `Action=CreateUser&Version=2010-05-08&UserName=${name}`;
const gone = async (l: Local, name: string) =>
  assert.is((await failure(l.iam().send(new GetUserCommand({ UserName: name })))).name, 'NoSuchEntityException',
    `${name} exists`);
const refused = (r: { status: number; text: string }) => {
  assert.is(r.status, 403, r.text);
  assert.ok(r.text.includes(`<Code>SignatureDoesNotMatch</Code><Message>${BAD_SIG}</Message>`), r.text);
};

const S = suite('local IAM/STS: the signature must cover the body');
let l: Local;
S.before(async () => { l = await localAws(); });
S.after(async () => { await l.done(); });

S('UNSIGNED-PAYLOAD (signed body or swapped) → 403 SignatureDoesNotMatch, no user made; only the body\'s own hash, ' +
  'or none, is accepted', async () => {
  refused(await send(l, createUser('unsigned-a'), { payloadHash: 'UNSIGNED-PAYLOAD' }));
  refused(await send(l, createUser('unsigned-a'), { payloadHash: 'UNSIGNED-PAYLOAD', swap: createUser('swapped-b') }));
  await gone(l, 'unsigned-a');
  await gone(l, 'swapped-b');
  // The other forms that do not bind the body: a signed hash left off the wire, a streaming one.
  refused(await send(l, createUser('dropped-a'), { payloadHash: '', dropHash: true, swap: createUser('dropped-b') }));
  refused(await send(l, createUser('stream-a'), { payloadHash: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' }));
  await gone(l, 'dropped-b');
  await gone(l, 'stream-a');
  // The body's own hash (the JS SDK), or none (botocore: the server hashes the body) are accepted; a swap is not.
  assert.is((await send(l, createUser('hashed-a'), { payloadHash: hex(createUser('hashed-a')) })).status, 200);
  assert.is((await send(l, createUser('plain-a'))).status, 200);
  refused(await send(l, createUser('hashed-b'),
    { payloadHash: hex(createUser('hashed-b')), swap: createUser('hashed-c') }));
  refused(await send(l, createUser('plain-b'), { swap: createUser('plain-c') }));
  await gone(l, 'hashed-c');
  await gone(l, 'plain-c');
});

S.run();
