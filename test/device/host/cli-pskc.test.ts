// `token enroll` of PSKC seed files (RFC 6030) through the real dist/ process: the RFC figures with
// their pre-shared key and password, a vendor batch by --serial, whole, and one token per serial with
// --device-dir; all or nothing when the 3rd KeyPackage of 5 is bad; one line and the right exit for
// a wrong key, a missing password, and --pskc-* flags given with another source.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hotp } from '../../../device/core/index.js';
import { answerOnTty, has, oracle, ROOT, run, TOKEN, type Run } from '../../helpers.js';
import { box, parsed, type Box } from './util.js';

const AT = '2030-01-01T00:00:10Z', T = Date.parse(AT) / 1000;
const vector = (f: string) => join(ROOT, 'vectors/pskc', f);
const fixture = (f: string) => join(ROOT, 'test/fixtures/pskc', f);
const FIG6 = vector('rfc6030-figure6.pskcxml'), FIG7 = vector('rfc6030-figure7.pskcxml');
const FEITIAN = fixture('feitian-linotp.pskcxml');
const FIG6_KEY = '12345678901234567890123456789012';
const RFC_SECRET = Buffer.from('12345678901234567890'); // Figure 6's and 7's secret, ASCII
const SERIALS = ['1000133508267', '1000133508255', '2600124809778', '2600124809787', '2600135004012', '2600135004013'];
const FEITIAN_ID = (s: string, totp: boolean) => `${totp ? '60/' : ''}Feitian Technology Co.,Ltd:${s}`;
type Enrolled = {
  id: string; type: string; verified: boolean; counter?: number; serial?: string; keyPackage?: number; device?: string;
};

const ids = async (b: Box, device?: string) =>
  parsed<{ id: string }[]>(await b.token([...(device ? ['--device', device] : []), 'list', '--json'])).map((c) => c.id);
function refused(r: Run, code: 1 | 2, re: RegExp) {
  assert.is(r.code, code, r.stderr + r.stdout);
  assert.is(r.stdout, '');
  assert.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr.trimEnd(), re);
  assert.not.match(r.stderr, /\n\s+at |12345678901234567890|MTIzNDU2|qwerty/, 'no stack trace, no key material');
}
/** Feitian's first five KeyPackages, the 3rd changed by `bad`. */
function fiveWithBadThird(b: Box, bad: (pkg: string) => string): string {
  const x = readFileSync(FEITIAN, 'utf8');
  const pkgs = x.split('<KeyPackage>').slice(1)
    .map((p) => '<KeyPackage>' + p.split('</KeyPackage>')[0] + '</KeyPackage>');
  const head = x.slice(0, x.indexOf('<KeyPackage>'));
  const f = join(b.dir, 'five.pskcxml');
  writeFileSync(f, head + pkgs.slice(0, 5).map((p, i) => (i === 2 ? bad(p) : p)).join('\n') + '\n</KeyContainer>\n');
  return f;
}
let b: Box;

const R = suite('RFC 6030 figures enroll through `token enroll FILE`, verified');
R.before.each(() => { b = box(); });
R.after.each(() => b.done());

R('Figure 6 with the right --pskc-key: enrolled, verified, its codes the secret\'s (oathtool agrees)', async () => {
  const r = await b.token(['enroll', FIG6, '--pskc-key', FIG6_KEY, '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.equal(parsed<Enrolled[]>(r).map((c) => [c.id, c.type, c.verified, c.counter, c.serial, c.keyPackage]),
    [['Issuer:987654321', 'hotp', true, 2, '987654321', 1]]);
  assert.match(r.stderr, new RegExp('^warning: a key on the command line is visible to other users ' +
    '\\(ps, shell history\\); use --pskc-key - or TOKEN_PSKC_KEY$', 'm'));
  const code = (await b.token(['code', 'Issuer'])).stdout.trim();
  assert.is(code, hotp(RFC_SECRET, 2, { digits: 8 }));
  if (!oracle('oathtool', has('oathtool'))) return;
  const o = spawnSync('oathtool', ['--hotp', '-d', '8', '-c', '2', RFC_SECRET.toString('hex')], { encoding: 'utf8' });
  assert.is(o.stdout.trim(), code);
});

R('text output: `enrolled ID (verified) serial S`; the key on stdin (--pskc-key -) draws no warning', async () => {
  const r = await b.token(['enroll', FIG6, '--pskc-key', '-'], { input: FIG6_KEY + '\n' });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'enrolled Issuer:987654321 (verified) serial 987654321\n');
  assert.not.match(r.stderr, /visible to other users/);
});

R('a wrong key: one line naming the KeyPackage, exit 1, the token unchanged', async () => {
  assert.is((await b.token(['enroll', '--secret', '-', '--name', 'keep'], { input: 'GEZDGNBVGY3TQOJQ' })).code, 0);
  refused(await b.token(['enroll', FIG6, '--pskc-key', '00112233445566778899aabbccddeeff']), 1,
    /^token: KeyPackage 1 \(Id '12345678', serial '987654321'\): wrong --pskc-key or --pskc-password/);
  refused(await b.token(['enroll', FIG6], { env: { TOKEN_PSKC_KEY: 'not hex' } }), 2,
    /^token: TOKEN_PSKC_KEY is not a key in hex/);
  assert.equal(await ids(b), ['keep']);
});

R('Figure 7 (PBKDF2) with --pskc-password, with - on stdin, and with TOKEN_PSKC_PASSWORD', async () => {
  let r = await b.token(['enroll', FIG7, '--pskc-password', 'qwerty', '--name', 'one']);
  assert.is(r.stdout, 'enrolled Example-Issuer:one (verified) serial 987654321\n', r.stderr);
  assert.match(r.stderr, /a password on the command line is visible to other users/);
  r = await b.token(['enroll', FIG7, '--pskc-password', '-', '--name', 'two'], { input: 'qwerty\n' });
  assert.is(r.stdout, 'enrolled Example-Issuer:two (verified) serial 987654321\n', r.stderr);
  r = await b.token(['enroll', FIG7, '--name', 'three'], { env: { TOKEN_PSKC_PASSWORD: 'qwerty' } });
  assert.is(r.stdout, 'enrolled Example-Issuer:three (verified) serial 987654321\n', r.stderr);
  assert.not.match(r.stderr, /visible/);
  assert.is((await b.token(['code', 'three'])).stdout.trim(), hotp(RFC_SECRET, 2, { digits: 8 }));
  refused(await b.token(['enroll', FIG7, '--name', 'four'], { env: { TOKEN_PSKC_PASSWORD: 'qwertz' } }), 1,
    /^token: KeyPackage 1 .*wrong/);
});

R('a password needed off a terminal without the flag: exit 2 naming --pskc-password', async () => {
  refused(await b.token(['enroll', FIG7]), 2,
    /^token: the PSKC file is encrypted with a password: give --pskc-password/);
  refused(await b.token(['enroll', FIG6]), 2,
    /^token: the PSKC file is encrypted with a pre-shared key: give --pskc-key/);
  assert.ok(!existsSync(b.device), 'no token made');
});

R('on a terminal, the password is asked on stderr without echo', async () => {
  if (!oracle('script', has('script', ['--version']))) return;
  const env = { ...b.env, TOTP_FOB_NOW: AT };
  const r = await answerOnTty(`'${process.execPath}' '${TOKEN}' enroll '${FIG7}'`, env, 'PSKC file password: ',
    'qwerty');
  assert.is(r.code, 0, r.stdout);
  assert.match(r.stdout, /enrolled Example-Issuer:987654321 \(verified\) serial 987654321/);
  assert.not.match(r.stdout, /qwerty/, 'not echoed');
});

R('--pskc-* flags with a URI source, or with --secret: usage error, exit 2', async () => {
  refused(await b.token(['enroll', 'otpauth://totp/a?secret=GEZDGNBVGY3TQOJQ', '--pskc-key', FIG6_KEY]), 2,
    /^token: --pskc-key is for PSKC files; the URI is an otpauth URI$/);
  refused(await b.token(['enroll', '--secret', '-', '--name', 'x', '--serial', '1'], { input: 'GEZDGNBVGY3TQOJQ' }), 2,
    /^token: --serial is for PSKC files/);
  refused(await b.token(['enroll', '-', '--pskc-password', '-'], { input: 'x' }), 2, /stdin \('-'\) can be read once/);
  assert.ok(!existsSync(b.device));
});
R('`token enroll --help` shows the PSKC flags and a PSKC transcript', async () => {
  const r = await b.token(['enroll', '--help']);
  assert.is(r.code, 0, r.stderr);
  for (const f of ['--pskc-key <hex>', '--pskc-password <pw>', '--serial <s>', '--device-dir <dir>']) {
    assert.ok(r.stdout.includes(f), f);
  }
  assert.match(r.stdout, /\$ token enroll vendor\.pskcxml --pskc-key - --serial 987654321 < psk\.hex/);
});
R.run();

const F = suite('a vendor batch (Feitian, 13-digit serials): --serial, the whole file, --device-dir');
F.before.each(() => { b = box(); });
F.after.each(() => b.done());

F('--serial picks one KeyPackage; an unknown serial lists what the file holds', async () => {
  const r = await b.token(['enroll', FEITIAN, '--serial', '2600135004012', '--json', '--at', AT]);
  assert.is(r.code, 0, r.stderr);
  assert.equal(parsed<Enrolled[]>(r).map((c) => [c.id, c.serial, c.keyPackage]),
    [[FEITIAN_ID('2600135004012', true), '2600135004012', 5]]);
  const secret = Buffer.from(
    /<SerialNo>2600135004012<[\s\S]*?<PlainValue>([^<]+)</.exec(readFileSync(FEITIAN, 'utf8'))![1]!, 'base64');
  assert.is((await b.token(['code', '2600135004012', '--at', AT])).stdout.trim(), hotp(secret, Math.floor(T / 60)));
  refused(await b.token(['enroll', FEITIAN, '--serial', '42']), 1,
    /^token: no KeyPackage has serial '42' \(the file holds '1000133508267', /);
  assert.equal(await ids(b), [FEITIAN_ID('2600135004012', true)]);
});

F('without --serial every KeyPackage goes into one token; past its capacity, how many do not fit', async () => {
  const r = await b.token(['enroll', FEITIAN, '--at', AT]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, SERIALS.map((s, i) => `enrolled ${FEITIAN_ID(s, i >= 2)} (verified) serial ${s}\n`).join(''));
  assert.equal((await ids(b)).length, 6);
  // A token with 60 of 64 taken: the batch of 6 is refused whole.
  const c = box();
  try {
    const many = Array.from({ length: 60 }, (_, i) => `otpauth://totp/Many:m${i}?secret=GEZDGNBVGY3TQOJQ`).join('\n');
    assert.is((await c.token(['enroll', '-'], { input: many })).code, 0);
    refused(await c.token(['enroll', FEITIAN, '--at', AT]), 1,
      /^token: 6 credentials do not fit: the token holds 60 of 64, room for 4, so 2 do not fit; nothing was enrolled$/);
    assert.is((await ids(c)).length, 60);
  } finally { c.done(); }
});

F('warnings (a StartDate still ahead) come on stderr as `warning: KeyPackage N: ...`', async () => {
  const r = await b.token(['enroll', FEITIAN, '--serial', '1000133508267', '--at', '2011-06-01T00:00:00Z']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^warning: KeyPackage 1: its key may be used only from 2012-08-01T00:00:00Z$/m);
});

F('--device-dir: one token per serial, named and made with it; an existing one is never overwritten', async () => {
  const dir = join(b.dir, 'tokens');
  const r = await b.token(['enroll', FEITIAN, '--device-dir', dir, '--json', '--at', AT]);
  assert.is(r.code, 0, r.stderr);
  const j = parsed<Enrolled[]>(r);
  assert.equal(j.map((c) => [c.serial, c.device, c.verified]), SERIALS.map((s) => [s, join(dir, `${s}.dev`), true]));
  assert.equal(readdirSync(dir).sort(), SERIALS.map((s) => `${s}.dev`).sort());
  for (const [i, s] of SERIALS.entries()) {
    const dev = join(dir, `${s}.dev`);
    assert.equal(await ids(b, dev), [FEITIAN_ID(s, i >= 2)]);
    assert.match((await b.token(['--device', dev, 'info'])).stdout, new RegExp(`^serial\\s+${s}$`, 'm'));
  }
  refused(await b.token(['enroll', FEITIAN, '--device-dir', dir]), 1,
    /^token: 6 tokens are already at .*never overwritten: nothing was enrolled/);
  // One token of the batch already made elsewhere: refused whole, that token untouched, no other made.
  const other = join(b.dir, 'other'), kept = join(other, `${SERIALS[3]}.dev`);
  assert.is((await b.token(['--device', kept, 'init', '--serial', SERIALS[3]!])).code, 0);
  const before = readFileSync(kept);
  refused(await b.token(['enroll', FEITIAN, '--device-dir', other]), 1,
    new RegExp(`^token: a token is already at ${kept.replace(/[.]/g, '\\.')}; ` +
      'a token is never overwritten: nothing was enrolled'));
  assert.equal(readdirSync(other), [`${SERIALS[3]}.dev`]);
  assert.ok(readFileSync(kept).equals(before));
  refused(await b.token(['--device', kept, 'enroll', FEITIAN, '--device-dir', other]), 2,
    /^token: --device-dir makes one token per serial; --device names one token/);
});

F('--device-dir: a burn that fails on the 3rd token removes the two this run made (a test-only flash fault)',
  async () => {
  const dir = join(b.dir, 'line');
  const hook = join(b.dir, 'flash-fault.mjs');
  writeFileSync(hook, "globalThis[Symbol.for('totp-fob.test.flash-fault')] = " +
    `(id, key) => { if (id === '${FEITIAN_ID(SERIALS[2]!, true)}') key[0] ^= 1; };\n`);
  const r = await run(process.execPath, ['--import', hook, TOKEN, 'enroll', FEITIAN, '--device-dir', dir, '--at', AT],
    { env: b.env });
  assert.is(r.code, 1, r.stderr);
  assert.is(r.stdout, '');
  assert.match(r.stderr, new RegExp(`^token: serial ${SERIALS[2]}: the burn of .* did not verify.*; ` +
    'the 3 tokens this run made were removed, nothing was enrolled$', 'm'));
  assert.ok(!existsSync(dir), 'the directory this run made is gone too');
});
F.run();

const A = suite('all or nothing: when the 3rd KeyPackage of 5 is bad, nothing is enrolled');
A.before.each(async () => {
  b = box();
  assert.is((await b.token(['enroll', '--secret', '-', '--name', 'keep'], { input: 'GEZDGNBVGY3TQOJQ' })).code, 0);
});
A.after.each(() => b.done());

A('an unsupported algorithm (OCRA): one line naming KeyPackage 3, token as it was', async () => {
  const f = fiveWithBadThird(b,
    (p) => p.replace(/Algorithm="[^"]+"/, 'Algorithm="urn:ietf:params:xml:ns:keyprov:pskc#OCRA-1"'));
  refused(await b.token(['enroll', f, '--at', AT]), 1,
    /^token: KeyPackage 3 \(Id '2600124809778', serial '2600124809778'\): .*algorithm/);
  assert.equal(await ids(b), ['keep']);
  const dir = join(b.dir, 'tokens');
  refused(await b.token(['enroll', f, '--device-dir', dir, '--at', AT]), 1, /^token: KeyPackage 3 /);
  assert.ok(!existsSync(dir), 'no token written');
});

A('a 1-byte secret the device cannot hold: named by KeyPackage, into one token or one per serial', async () => {
  const f = fiveWithBadThird(b,
    (p) => p.replace(/<PlainValue>[^<]{20,}<\/PlainValue>/, '<PlainValue>Bw==</PlainValue>'));
  refused(await b.token(['enroll', f, '--at', AT]), 1,
    /^token: KeyPackage 3 \(Id '2600124809778', serial '2600124809778'\): the token cannot hold it: a 1-byte secret/);
  assert.equal(await ids(b), ['keep']);
  const dir = join(b.dir, 'tokens');
  refused(await b.token(['enroll', f, '--device-dir', dir, '--at', AT]), 1, /^token: KeyPackage 3 .*1-byte secret/);
  assert.ok(!existsSync(dir), 'no token written');
});
A.run();
