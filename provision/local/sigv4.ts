// SigV4 verification: recompute with the SDK's own signer over exactly the headers the request
// signed, at its X-Amz-Date, with Host as sent, and compare. Region comes from the credential scope:
// with a custom endpoint both clients sign IAM with their configured region, not us-east-1.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsError } from './errors.js';

export interface Incoming {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: IncomingHttpHeaders;
  body: Buffer;
}
export interface Signed { accessKeyId: string; region: string; service: string; token?: string }

const SKEW_S = 15 * 60;
export const BAD_TOKEN = 'The security token included in the request is invalid.';
const BAD_SIG = 'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

const amzDate = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');

/** Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. */
function parseAuth(h: string) {
  const m = /^AWS4-HMAC-SHA256\s+(.*)$/s.exec(h.trim());
  if (!m) throw new AwsError('IncompleteSignature', `Unsupported AWS 'algorithm': '${h.trim().split(/\s/)[0]}'`);
  const kv = new Map<string, string>();
  for (const part of m[1]!.split(/,\s*/)) {
    const i = part.indexOf('=');
    if (i > 0) kv.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((k) => !kv.get(k));
  if (missing.length) throw new AwsError('IncompleteSignature',
    missing.map((k) => `Authorization header requires '${k}' parameter.`).join(' '));
  const scope = kv.get('Credential')!.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request' || !scope[0]) {
    throw new AwsError('IncompleteSignature',
      `Credential should be scoped to a valid region, not '${scope[2] ?? ''}'. `);
  }
  const [accessKeyId, day, region, service] = scope as [string, string, string, string];
  return { accessKeyId, day, region, service, signedHeaders: kv.get('SignedHeaders')!.split(';'),
    signature: kv.get('Signature')! };
}

/**
 * Checks the request's signature. `secretFor` gives the secret of a known, active access key
 * (long-term or session) or null. `nowMs` is the real clock: signatures never use simulated time.
 */
export async function verifySigV4(req: Incoming, service: string, secretFor: (akid: string) => string | null,
  nowMs: number): Promise<Signed> {
  const auth = req.headers.authorization;
  if (!auth) throw new AwsError('MissingAuthenticationToken', 'Request is missing Authentication Token');
  const a = parseAuth(auth);
  const secret = secretFor(a.accessKeyId);
  if (secret === null) throw new AwsError('InvalidClientTokenId', BAD_TOKEN);

  const xDate = req.headers['x-amz-date'];
  if (typeof xDate !== 'string' || !/^\d{8}T\d{6}Z$/.test(xDate)) {
    throw new AwsError('IncompleteSignature',
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  if (!a.signedHeaders.includes('host')) {
    throw new AwsError('IncompleteSignature',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (a.day !== xDate.slice(0, 8)) {
    throw new AwsError('SignatureDoesNotMatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${a.day}' != ` +
      `'${xDate.slice(0, 8)}', from '${xDate}'.`);
  }
  if (a.service !== service) throw new AwsError('SignatureDoesNotMatch',
    `Credential should be scoped to correct service: '${service}'. `);
  const when = new Date(
    `${xDate.slice(0, 4)}-${xDate.slice(4, 6)}-${xDate.slice(6, 11)}:${xDate.slice(11, 13)}:${xDate.slice(13, 15)}Z`);
  const skew = when.getTime() / 1000 - nowMs / 1000;
  if (Number.isNaN(skew)) throw new AwsError('IncompleteSignature', `Invalid X-Amz-Date '${xDate}'.`);
  const nowS = amzDate(new Date(nowMs));
  if (skew < -SKEW_S) {
    throw new AwsError('SignatureDoesNotMatch',
      `Signature expired: ${xDate} is now earlier than ${amzDate(new Date(nowMs - SKEW_S * 1000))} (${nowS} - 15 ` +
      `min.)`);
  }
  if (skew > SKEW_S) {
    throw new AwsError('SignatureDoesNotMatch',
      `Signature not yet current: ${xDate} is still later than ` +
      `${amzDate(new Date(nowMs + SKEW_S * 1000))} (${nowS} + ` +
      `15 min.)`);
  }

  // Exactly the signed headers, values as sent (Node joins repeats with ', ').
  const headers: Record<string, string> = {};
  for (const name of a.signedHeaders) {
    const v = req.headers[name];
    headers[name] = Array.isArray(v) ? v.join(',') : (v ?? '');
  }
  // In the Query protocol the body is the request, so the signature must cover it: a payload hash
  // header, signed or not, must be the body's own (UNSIGNED-PAYLOAD and streaming forms are not),
  // and without one the signer below hashes the body itself, as botocore expects.
  const claimed = req.headers['x-amz-content-sha256'];
  const hashSigned = a.signedHeaders.includes('x-amz-content-sha256');
  if ((claimed === undefined && hashSigned) ||
    (claimed !== undefined && claimed !== createHash('sha256').update(req.body).digest('hex'))) {
    throw new AwsError('SignatureDoesNotMatch', BAD_SIG);
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId: a.accessKeyId, secretAccessKey: secret },
    region: a.region, service: a.service, sha256: Sha256, applyChecksum: false,
  });
  const out = await signer.sign({
    method: req.method, protocol: 'http:', hostname: headers.host ?? '', path: req.path,
    query: req.query, headers, body: req.body,
  }, { signingDate: when, signableHeaders: new Set(a.signedHeaders) });
  const mine = /Signature=([0-9a-f]{64})/.exec(String(out.headers.authorization))?.[1] ?? '';
  const theirs = Buffer.from(a.signature.padEnd(64, '?').slice(0, 64));
  if (a.signature.length !== 64 || !timingSafeEqual(Buffer.from(mine), theirs)) throw new AwsError(
    'SignatureDoesNotMatch', BAD_SIG);

  const token = req.headers['x-amz-security-token'];
  return { accessKeyId: a.accessKeyId, region: a.region, service: a.service,
    ...(typeof token === 'string' ? { token } : {}) };
}
