// A seeded fuzz pass over the local endpoint's parameters, over HTTP: trust policies full of
// globs built to backtrack, and every STS member with hostile values. Every request must be
// answered (within a generous bound, as an AWS error or a result, never a 5xx) and the server
// must answer afterwards. FUZZ_SEED replays a run; FUZZ_N sets its size.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { rng } from '../../device/core/rng.js';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { allows, glob } from '../../../provision/policy/engine.js';
import { localAws, type Local } from './helpers.js';

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
const N = Number(process.env.FUZZ_N ?? 10_000);
/** Per request: far above any honest answer on a loaded machine, far below "never". */
const BOUND_MS = 20_000;
const USER_ARN = 'arn:aws:iam::123456789012:user/service-user/kjh-SuperDuperUser';
console.log(`fuzz seed ${SEED} (FUZZ_SEED=${SEED} replays it), ${N} requests`);

const R = rng(SEED);

const NASTY = ['', ' ', '*', '?', '%', '\u0000', '\u202e', '\ud83d\ude00', '../', '<x>&amp;', 'toString', '__proto__',
  'constructor', 'a'.repeat(64), 'a'.repeat(65), 'a'.repeat(2049), '-1', '1e309', '99999999999999999999', 'NaN',
  'arn:aws:iam::123456789012:role/kjh-DuperRole', 'arn:', 'arn:::::', 'nothing-valid-in-here', 'UNSIGNED-PAYLOAD',
  '.*.*.*.*.*!', '(a+)+$', '\\', '"', "'"];
const CHARS = 'aA0_+=,.@-:/*?! \u00e9\u4e2d';
function str(max = 80): string {
  if (R.next() < 0.3) return R.pick(NASTY);
  const n = R.int(max);
  let s = '';
  for (let i = 0; i < n; i++) s += CHARS[R.int(CHARS.length)];
  return s;
}

/** Globs that a backtracking matcher spends exponential time on, and a few that match. */
function hostileGlob(): string {
  const k = 1 + R.int(24);
  switch (R.int(6)) {
    case 0: return `${'*'.repeat(k)}${R.pick(['!', 'b', '@', ''])}`;
    case 1: return `${'*a'.repeat(k)}${R.pick(['!', 'b', '*'])}`;
    case 2: return `${'?'.repeat(k)}*${'?*'.repeat(R.int(8))}`;
    case 3:
      return Array.from({ length: 1 + R.int(60) }, () => R.pick(['*', '?', 'a', 'b', '.', '+', '(', ')'])).join('');
    case 4: return 'a'.repeat(R.int(300));
    default: return str(40);
  }
}
const KEYS = ['sts:RoleSessionName', 'sts:ExternalId', 'sts:SourceIdentity', 'aws:PrincipalArn', 'aws:RequestTag/team',
  'aws:PrincipalTag/team', 'aws:MultiFactorAuthPresent', 'aws:MultiFactorAuthAge', 'aws:userid', 'x:unknown'];
const OPS = ['StringLike', 'StringNotLike', 'ArnLike', 'ArnNotLike', 'StringEquals', 'StringLikeIfExists',
  'NumericLessThan', 'Bool', 'Null', 'ForAnyValue:StringLike', 'StringEqualsIgnoreCase', 'Bogus'];

function policy(): string {
  if (R.next() < 0.05) {
    return R.pick(['{', '[]', 'null', '{"Statement":[]}', '{"Statement":{"Effect":"Allow"}}',
      '[[[[[[[[[[[[]]]]]]]]]]]]', str(200)]);
  }
  const statements = Array.from({ length: 1 + R.int(4) }, () => {
    const cond: Record<string, Record<string, unknown>> = {};
    for (let i = R.int(4); i > 0; i--) {
      const op = R.pick(OPS);
      (cond[op] ??= {})[R.pick(KEYS)] = R.next() < 0.5 ? hostileGlob()
        : Array.from({ length: 1 + R.int(6) }, hostileGlob);
    }
    return {
      Effect: R.next() < 0.85 ? 'Allow' : R.pick(['Deny', 'allow', 7]),
      Principal: R.pick([{ AWS: USER_ARN }, '*', { AWS: '123456789012' }, { AWS: [USER_ARN, '*'] }]),
      Action: R.pick(['sts:AssumeRole', 'sts:*', 'STS:ASSUME*', ['sts:TagSession', 'sts:AssumeRole'], hostileGlob(),
        '*']),
      ...(R.next() < 0.9 ? { Condition: R.next() < 0.05 ? R.pick([[], 'x', null]) : cond } : {}),
    };
  });
  let doc = JSON.stringify({ Version: '2012-10-17', Statement: statements });
  if (R.next() < 0.05) doc += ' '.repeat(R.int(3000));
  return doc;
}

let roles = 0;
/** One request's form parameters. */
function params(): Record<string, string> {
  const p: Record<string, string> = {};
  const roll = R.next();
  if (roll < 0.25) {
    Object.assign(p, {
      Action: 'CreateRole', Version: '2010-05-08', RoleName: `fz-${roles++}`, AssumeRolePolicyDocument: policy(),
    });
    return p;
  }
  if (roll < 0.85) {
    Object.assign(p, { Action: 'AssumeRole', Version: '2011-06-15' });
    p.RoleArn = R.next() < 0.8 && roles ? `arn:aws:iam::123456789012:role/fz-${R.int(roles)}` : str(120);
    p.RoleSessionName = R.next() < 0.6 ? R.pick(['a'.repeat(64), `${'a'.repeat(63)}@`, 'ab', 'a@b.c']) : str(70);
    if (R.next() < 0.3) p.ExternalId = R.next() < 0.5 ? 'a'.repeat(1224) : str(100);
    if (R.next() < 0.2) p.SourceIdentity = str(70);
    if (R.next() < 0.3) {
      const n = R.int(55);
      for (let i = 1; i <= n; i++) {
        p[`Tags.member.${i}.Key`] = R.next() < 0.5 ? `team${i % 7 ? i : ''}` : str(140);
        p[`Tags.member.${i}.Value`] = str(300);
      }
      if (R.next() < 0.5) p['TransitiveTagKeys.member.1'] = R.pick(['team', 'TEAM', str(20)]);
    }
    if (R.next() < 0.1) p.DurationSeconds = R.pick(['900', '43201', '-5', 'x', '1e3', str(10)]);
    if (R.next() < 0.1) { p.SerialNumber = str(60); p.TokenCode = str(8); }
    if (R.next() < 0.05) {
      p[R.pick(['Policy', 'PolicyArns.member.1.arn', 'ProvidedContexts.member.1.ProviderArn', str(12) || 'Junk'])] =
        str(30);
    }
    return p;
  }
  if (roll < 0.92) {
    Object.assign(p, { Action: 'GetSessionToken', Version: '2011-06-15' });
    if (R.next() < 0.5) p.DurationSeconds = str(8);
    if (R.next() < 0.5) { p.SerialNumber = str(60); p.TokenCode = str(8); }
    return p;
  }
  Object.assign(p, {
    Action: R.pick(['GetCallerIdentity', 'GetRole', 'GetUser', 'ListUsers', str(20)]),
    Version: R.pick(['2011-06-15', '2010-05-08', '2011-06-15']),
  });
  if (R.next() < 0.5) {
    p[R.pick(['RoleName', 'UserName', 'PathPrefix', 'MaxItems', 'Marker'])] =
      str(80).replace(/^(toString|__proto__|constructor)$/, 'x');
  }
  return p;
}

async function send(l: Local, signer: SignatureV4, p: Record<string, string>) {
  const url = new URL(l.srv.endpoint);
  const body = new URLSearchParams(p).toString();
  const req = await signer.sign({
    method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {},
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded' }, body,
  });
  const t0 = performance.now();
  const res = await fetch(`${l.srv.endpoint}/`,
    { method: 'POST', headers: req.headers, body, signal: AbortSignal.timeout(BOUND_MS) });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - t0 };
}

const S = suite('local endpoint fuzz: hostile parameters and backtracking globs');
let l: Local;
S.before(async () => { l = await localAws(); });
S.after(async () => { await l.done(); });

S(`the glob matcher agrees with a regular expression on 20,000 small random cases (seed ${SEED})`, () => {
  const rx = (p: string) =>
    new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 's');
  for (let i = 0; i < 20_000; i++) {
    const p = Array.from({ length: R.int(7) }, () => R.pick(['*', '?', 'a', 'b', '.'])).join('');
    const s = Array.from({ length: R.int(8) }, () => R.pick(['a', 'b', '.', '\n'])).join('');
    assert.is(glob(p, s), rx(p).test(s), `${JSON.stringify(p)} vs ${JSON.stringify(s)}`);
  }
});

S('1,000 hostile trust policies, each evaluated against hostile request values: the slowest stays far under ' +
  'a second', () => {
  const ctx = new Map([['sts:rolesessionname', 'a'.repeat(64)], ['sts:externalid', 'a'.repeat(1224)],
    ['aws:principalarn', `${USER_ARN}${'a'.repeat(1900)}`], ['aws:requesttag/team', 'a'.repeat(256)],
    ['aws:principaltag/team', 'a'.repeat(256)], ['aws:userid', 'a'.repeat(128)]]);
  let max = 0;
  for (let i = 0; i < 1000; i++) {
    const doc = policy();
    const t0 = performance.now();
    allows(doc, { action: 'sts:AssumeRole', callers: [USER_ARN], account: '123456789012', ctx });
    max = Math.max(max, performance.now() - t0);
  }
  console.log(`max policy evaluation: ${max.toFixed(2)} ms over 1000 hostile documents`);
  assert.ok(max < 1000, `${max} ms`);
});

S(`${N} hostile requests over HTTP: every one answered, none 5xx, and the server answers afterwards`, async () => {
  const signer = new SignatureV4({ credentials: l.creds, region: 'us-east-1', service: 'sts', sha256: Sha256 });
  const iamSigner = new SignatureV4({ credentials: l.creds, region: 'us-east-1', service: 'iam', sha256: Sha256 });
  const statuses = new Map<number, number>();
  let max = 0, i = 0, decided = 0;
  const worker = async () => {
    while (i < N) {
      i++;
      const p = params();
      const iam = p.Version === '2010-05-08';
      let r;
      try { r = await send(l, iam ? iamSigner : signer, p); } catch (e) {
        throw new Error(`no answer within ${BOUND_MS} ms to ${JSON.stringify(p).slice(0, 600)}: ` +
          `${(e as Error).message}`);
      }
      assert.ok(r.status < 500, `${r.status} for ${JSON.stringify(p).slice(0, 600)}: ${r.text}`);
      assert.ok(/^<(\w+Response|ErrorResponse) xmlns=/.test(r.text), r.text);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      // AssumeRole answered 200 or 403 went through trust-policy evaluation (or the MFA check).
      if (p.Action === 'AssumeRole' && (r.status === 200 || r.status === 403)) decided++;
      max = Math.max(max, r.ms);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  console.log(`fuzz: ${N} requests, ${roles} CreateRole attempts, statuses ${JSON.stringify([...statuses].sort())}, ` +
    `${decided} AssumeRole decided by a trust policy, slowest ${max.toFixed(0)} ms`);
  assert.ok((statuses.get(200) ?? 0) > 0 && [...statuses.keys()].some((s) => s >= 400),
    'the fuzz reached both results and errors');
  assert.ok(decided >= N / 20, `only ${decided} AssumeRole calls reached a trust policy`);
  assert.is((await l.sts().send(new GetCallerIdentityCommand({}))).Arn, USER_ARN);
});

S.run();
