// What README promises of `provision` on the wire, checked by a proxy between the real CLI process
// and a `provision local-aws` server: it records every request (action, SigV4 scope, parameters)
// and can change a response, so a QR that lies, a Delete that fails, a damaged PNG, --region and
// --tag are driven through the real path with no test hook in the product.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, request, type Server as HttpServer } from 'node:http';
import QRCode from 'qrcode';
import { IAMClient, ListMFADeviceTagsCommand } from '@aws-sdk/client-iam';
import { base32Decode, totp } from '../../device/core/index.js';
import { readQr } from '../../device/host/qr.js';
import { symbolPng } from '../../provision/local/mfa.js';
import { rng } from '../device/core/rng.js';
import { ACCOUNT, T0, USER, boxEach, expectExit, localAws, serialOf, type Server } from './lib.js';

interface Seen {
  action: string; region: string; service: string; params: URLSearchParams; status: number; response: string;
}
type Answer = { status: number; body: string } | undefined;
type Rewrite = (action: string, params: URLSearchParams, status: number, body: string) => Answer;

/**
 * An HTTP proxy to `target` on 127.0.0.1 that records each exchange. `refuse` answers in the
 * server's place (the request never reaches it); `rewrite` changes the server's answer.
 */
async function proxy(target: string, rewrite: Rewrite = () => undefined,
  refuse: (action: string) => Answer = () => undefined,
): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const to = new URL(target);
  const server: HttpServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const params = new URLSearchParams(body.toString('utf8'));
      const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/
        .exec(String(req.headers.authorization ?? ''));
      const refused = refuse(params.get('Action') ?? '');
      if (refused) {
        seen.push({
          action: params.get('Action') ?? '', region: scope?.[1] ?? '', service: scope?.[2] ?? '', params, ...refused,
          response: refused.body,
        });
        res.writeHead(refused.status, { 'content-type': 'text/xml' }).end(refused.body);
        return;
      }
      const up = request({
        host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers,
      }, (r) => {
        const back: Buffer[] = [];
        r.on('data', (c: Buffer) => back.push(c));
        r.on('end', () => {
          const action = params.get('Action') ?? '';
          let status = r.statusCode ?? 502, text = Buffer.concat(back).toString('utf8');
          const changed = rewrite(action, params, status, text);
          if (changed) ({ status, body: text } = changed);
          seen.push({ action, region: scope?.[1] ?? '', service: scope?.[2] ?? '', params, status, response: text });
          const headers = { ...r.headers, 'content-length': String(Buffer.byteLength(text)) };
          res.writeHead(status, headers).end(text);
        });
      });
      up.on('error', (e) => res.writeHead(502).end(e.message));
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`, seen,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
/** IAM's error document, as the local endpoint (and AWS) write it. */
const iamError = (code: string, message: string) =>
  `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>${code}</Code>` +
  `<Message>${message}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`;

/** The QR AWS would draw for `uri`, as the endpoint draws it (level M, 3 px a module). */
function qrModules(uri: string): { data: Uint8Array; size: number; reserved: Uint8Array } {
  const { modules } = QRCode.create(uri, { errorCorrectionLevel: 'M' }) as unknown as
    { modules: { data: Uint8Array; size: number; reservedBit: Uint8Array } };
  return { data: Uint8Array.from(modules.data), size: modules.size, reserved: modules.reservedBit };
}

const S = suite('provision create and session on the wire, through a recording proxy');
const b = boxEach(S);
let srv: Server | undefined;
let px: Awaited<ReturnType<typeof proxy>> | undefined;
S.after.each(async () => { await px?.close(); await srv?.stop(); px = srv = undefined; });

async function start(rewrite?: Rewrite, refuse?: (action: string) => Answer) {
  srv = await localAws(b);
  px = await proxy(srv.endpoint, rewrite, refuse);
  const via = { AWS_ENDPOINT_URL_IAM: px.url, AWS_ENDPOINT_URL_STS: px.url };
  return { env: { ...srv.awsEnv, ...via }, adminEnv: { ...srv.adminEnv, ...via }, px, srv };
}
const listed = async (env: NodeJS.ProcessEnv) =>
  (JSON.parse(expectExit(await b.p(['list', '--json'], 0, env), 0, 'list').stdout) as { serialNumber: string }[])
    .map((d) => d.serialNumber);
const tokenIds = async () =>
  (JSON.parse(expectExit(await b.t(['list', '--json']), 0, 'token list').stdout) as { id: string }[]).map((c) => c.id);

S('a QR that carries another secret than Base32StringSeed: create refuses (E_QR_MISMATCH), enrolls nothing and ' +
  'deletes the device', async () => {
  // The rollback deletes the device, which AWS's self-manage-MFA policy does not allow the user: as the
  // administrator.
  const { adminEnv: env } = await start((action, _p, status, body) => {
    if (action !== 'CreateVirtualMFADevice' || status !== 200) return undefined;
    const other = otherUri(body);
    const m = qrModules(other);
    return { status, body: body.replace(/<QRCodePNG>[^<]*<\/QRCodePNG>/,
      `<QRCodePNG>${symbolPng(m.data, m.size, 3).toString('base64')}</QRCodePNG>`) };
  });
  const r = expectExit(await b.p(['create', 'dev1', '--user', USER], 0, env), 1, 'mismatch');
  assert.is(r.stderr, `provision: the QR code carries a different secret than Base32StringSeed: not enrolling; ` +
    `rolled back: deleted IAM device ${serialOf('dev1')}\n`);
  assert.not.match(r.stderr + r.stdout, /[A-Z2-7]{32,}/, 'no seed in the output');
  assert.equal(await listed(env), []);
  assert.equal(await tokenIds(), []);
  assert.equal(b.mapping(), {});
  assert.ok(px!.seen.some((s) => s.action === 'DeleteVirtualMFADevice' && s.status === 200), 'the Delete reached IAM');
});

/** The URI of the response's own QR with the secret's last base32 character changed. */
function otherUri(body: string): string {
  const seed = Buffer.from(tag(body, 'Base32StringSeed')!, 'base64').toString('latin1');
  const changed = seed.slice(0, -1) + (seed.endsWith('A') ? 'B' : 'A');
  return `otpauth://totp/Amazon%20Web%20Services:dev1@${ACCOUNT}?secret=${changed}&issuer=Amazon%20Web%20Services`;
}

S('a rollback whose Delete fails says it could NOT undo the device, names it, and leaves it listed', async () => {
  const { env } = await start(undefined, (action) =>
    action === 'DeleteVirtualMFADevice'
      ? { status: 403, body: iamError('AccessDenied', 'User is not authorized to perform: iam:DeleteVirtualMFADevice') }
      : undefined);
  const r = expectExit(await b.p(['create', 'dev1', '--user', USER], 0, { ...env, PROVISION_FAIL_AT: 'enroll' }), 1,
    'undo fails');
  const line = r.stderr.trim();
  assert.is(line.split('\n').length, 1, r.stderr);
  assert.match(line, new RegExp(/^provision: injected failure after step 'enroll' \(PROVISION_FAIL_AT\); /.source +
    /rolled back: removed 'Amazon Web Services:dev1@123456789012' from token FOB\d+; /.source +
    /could NOT undo: IAM device arn:aws:iam::123456789012:mfa\/dev1 \(.*AccessDenied.*\)$/.source));
  assert.equal(await listed(env), [serialOf('dev1')], 'the device it could not delete is still there');
  assert.equal(await tokenIds(), [], 'what could be undone was');
});

S('--region reaches the STS request (its SigV4 scope); IAM calls stay signed for us-east-1', async () => {
  const { env, px } = await start();
  expectExit(await b.p(['create', 'dev1', '--region', 'eu-west-2'], 0, env), 0, 'create');
  const region = (service: string) =>
    px.seen.filter((s) => s.service === service).map((s) => `${s.action} ${s.region}`);
  assert.ok(region('iam').includes('CreateVirtualMFADevice us-east-1'), region('iam').join());
  assert.ok(region('iam').every((a) => a.endsWith(' us-east-1')), `IAM is global: ${region('iam')}`);
  assert.ok(region('sts').every((a) => a.endsWith(' eu-west-2')), `create's STS calls: ${region('sts')}`);
  px.seen.length = 0;
  const r = expectExit(await b.p(['session', '--no-mfa', '--region', 'eu-west-2', '--json'], 0, env), 0, 'session');
  assert.match(r.stdout, /ASIA/, 'temporary credentials came back');
  assert.ok(region('sts').includes('GetSessionToken eu-west-2'), region('sts').join());
  assert.ok(region('sts').every((a) => a.endsWith(' eu-west-2')), region('sts').join());
  // And without --region, AWS_REGION decides.
  px.seen.length = 0;
  expectExit(await b.p(['session', '--no-mfa', '--json'], 0, { ...env, AWS_REGION: 'ap-south-1' }), 0,
    'session (AWS_REGION)');
  assert.ok(region('sts').includes('GetSessionToken ap-south-1')
    && region('sts').every((a) => a.endsWith(' ap-south-1')), region('sts').join());
});

S('--tag reaches IAM: CreateVirtualMFADevice carries Tags.member.N and IAM answers with them', async () => {
  const { env, px } = await start();
  expectExit(await b.p(['create', 'dev1', '--tag', 'team=infra', '--tag', 'cost=a=b'], 0, env), 0, 'create');
  const c = px.seen.find((s) => s.action === 'CreateVirtualMFADevice')!;
  assert.equal([1, 2].map((n) => [c.params.get(`Tags.member.${n}.Key`), c.params.get(`Tags.member.${n}.Value`)]),
    [['team', 'infra'], ['cost', 'a=b']]);
  assert.is(c.status, 200);
  assert.match(c.response, new RegExp(/<Tags><member><Key>team<\/Key><Value>infra<\/Value><\/member>/.source +
    /<member><Key>cost<\/Key><Value>a=b<\/Value><\/member><\/Tags>/.source));
});

S('--tag is what ListMFADeviceTags returns afterwards (the SDK\'s own call)', async () => {
  const { env, srv } = await start();
  expectExit(await b.p(['create', 'dev1', '--tag', 'team=infra', '--tag', 'env=ci'], 0, env), 0, 'create');
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const iam = new IAMClient({
    region: 'us-east-1', endpoint: srv.endpoint, maxAttempts: 1,
    // Reading a device's tags is not in the user's self-manage policy: as the administrator.
    credentials: { accessKeyId: srv.fixture.adminAccessKeyId, secretAccessKey: srv.fixture.adminSecretAccessKey },
  });
  try {
    const r = await iam.send(new ListMFADeviceTagsCommand({ SerialNumber: serialOf('dev1') }));
    assert.equal(r.Tags, [{ Key: 'team', Value: 'infra' }, { Key: 'env', Value: 'ci' }]);
  } finally { iam.destroy(); }
});

S('a damaged QR PNG (modules flipped within error correction) still enrolls the seed: the token\'s codes are ' +
  'Base32StringSeed\'s', async () => {
  const R = rng();
  let flipped = 0, seed = '';
  const { env } = await start((action, _p, status, body) => {
    if (action !== 'CreateVirtualMFADevice' || status !== 200) return undefined;
    seed = Buffer.from(tag(body, 'Base32StringSeed')!, 'base64').toString('latin1');
    const m = qrModules(
      `otpauth://totp/Amazon%20Web%20Services:dev1@${ACCOUNT}?secret=${seed}&issuer=Amazon%20Web%20Services`);
    // Data modules only (finders, timing and format stay): 6 of them, a few codewords' worth,
    // well inside level M's ~15% (a 171 px AWS QR has 18+ EC codewords per block).
    const data = [...m.data.keys()].filter((i) => !m.reserved[i]);
    for (const i of new Set(Array.from({ length: 6 }, () => R.pick(data)))) { m.data[i] ^= 1; flipped++; }
    return { status, body: body.replace(/<QRCodePNG>[^<]*<\/QRCodePNG>/,
      `<QRCodePNG>${symbolPng(m.data, m.size, 3).toString('base64')}</QRCodePNG>`) };
  });
  const r = expectExit(await b.p(['create', 'dev1', '--user', USER, '--qr-out', `${b.dir}/dev1.png`], 0, env), 0,
    'create with a damaged QR');
  assert.not.match(r.stderr, /QRCodePNG|Base32StringSeed alone/,
    `the damaged QR was read, not skipped (seed ${R.seed}): ${r.stderr}`);
  assert.ok(flipped >= 5, `${flipped} modules flipped`);
  // The damage is real: the saved PNG is not the clean drawing, and it still reads to the original URI.
  const { readFileSync } = await import('node:fs');
  const saved = readFileSync(`${b.dir}/dev1.png`);
  const clean = qrModules(
    `otpauth://totp/Amazon%20Web%20Services:dev1@${ACCOUNT}?secret=${seed}&issuer=Amazon%20Web%20Services`);
  assert.not.ok(saved.equals(symbolPng(clean.data, clean.size, 3)), 'the PNG was damaged');
  assert.match(await readQr(saved), `secret=${seed}&`);
  const code = JSON.parse(expectExit(await b.t(['code', 'dev1', '--json'], 90), 0, 'token code').stdout) as
    { code: string };
  assert.is(code.code, totp(base32Decode(seed), T0 + 90), `seed ${R.seed}`);
});

S.run();
