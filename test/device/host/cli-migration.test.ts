// `token enroll` of Google Authenticator exports through the real dist/ process: QR PNGs (one, several
// at once, the parts of a batch one by one), all or nothing when one of five is bad, and the verified
// burn: reported in --json, and a device that stores a key wrong caught and rolled back.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hotp } from '../../../device/core/index.js';
import { run, TOKEN, type Run } from '../../helpers.js';
import { exportUri, type OtpParams } from './export.js';
import { qrPng } from './qrpng.js';
import { box, parsed, type Box } from './util.js';

const AT = '2030-01-01T00:00:10Z', T = Date.parse(AT) / 1000;
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const S1 = bytes('12345678901234567890'), S256 = bytes('12345678901234567890123456789012');
const cred = (name: string, o: Partial<OtpParams> = {}): OtpParams => ({ secret: S1, name, ...o });
const ids = async (b: Box) => parsed<{ id: string }[]>(await b.token(['list', '--json'])).map((c) => c.id);
function refused(r: Run, re: RegExp) {
  assert.is(r.code, 1, r.stderr + r.stdout);
  assert.is(r.stdout, '');
  assert.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, re);
}
async function png(b: Box, name: string, uri: string): Promise<string> {
  const f = join(b.dir, name);
  writeFileSync(f, await qrPng(uri, { scale: 3, margin: 2, ecl: 'L' }));
  return f;
}
type Enrolled = {
  id: string; type: string; verified: boolean; counter?: number; part?: { number: number; of: number; batchId: number };
};
let b: Box;

const Q = suite('Google Authenticator export QR codes enroll through `token enroll`');
Q.before.each(() => { b = box(); });
Q.after.each(() => b.done());

Q('one QR PNG holding an export: every credential verified (--json), codes right, HOTP counter where it was',
  async () => {
  const f = await png(b, 'export.png', exportUri({ params: [
    cred('GitHub:alice', { issuer: 'GitHub' }), cred('Zoë', { issuer: 'Büro', secret: S256, algorithm: 2, digits: 2 }),
    cred('Bank:ctr', { type: 1, counter: 7 }),
  ] }));
  const r = await b.token(['enroll', f, '--json']);
  assert.is(r.code, 0, r.stderr);
  const j = parsed<Enrolled[]>(r);
  assert.equal(j.map((c) => [c.id, c.type, c.verified, c.counter ?? null, c.part ?? null]),
    [['GitHub:alice', 'totp', true, null, null], ['Büro:Zoë', 'totp', true, null, null],
      ['Bank:ctr', 'hotp', true, 7, null]]);
  assert.is((await b.token(['code', 'alice', '--at', AT])).stdout, hotp(S1, Math.floor(T / 30)) + '\n');
  assert.is((await b.token(['code', 'Zoë', '--at', AT])).stdout,
    hotp(S256, Math.floor(T / 30), { digits: 8, algorithm: 'SHA256' }) + '\n');
  assert.is((await b.token(['code', 'ctr'])).stdout, hotp(S1, 7) + '\n',
    'the read-back spent counters 5 and 6, the token stands at 7');
});

Q('several PNGs at once are one batch: text mode says `enrolled ID (verified)` and which parts', async () => {
  const p = (i: number, params: OtpParams[]) =>
    png(b, `p${i}.png`, exportUri({ params, batchSize: 3, batchIndex: i, batchId: 4242 }));
  const files = [await p(0, [cred('A:one'), cred('A:two')]), await p(1, [cred('B:three')]),
    await p(2, [cred('C:four', { type: 1 })])];
  const r = await b.token(['enroll', ...files]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, ['A:one', 'A:two', 'B:three', 'C:four'].map((id) => `enrolled ${id} (verified)\n`).join(''));
  assert.match(r.stderr, /^parts 1, 2 and 3 of 3 of a Google Authenticator export$/m);
  assert.match(r.stderr,
    /^warning: C:four: reading back the burn used HOTP counters 0 and 1; the token's next code is counter 2/m);
  assert.is((await b.token(['code', 'four'])).stdout, hotp(S1, 2) + '\n');
});

Q('the parts of a batch one by one: each says `part N of 2`, in --json too; the same part twice is refused whole',
  async () => {
  const p1 = await png(b, 'p1.png',
    exportUri({ params: [cred('X:a'), cred('X:b')], batchSize: 2, batchIndex: 0, batchId: 7 }));
  const p2 = await png(b, 'p2.png', exportUri({ params: [cred('Y:c')], batchSize: 2, batchIndex: 1, batchId: 7 }));
  let r = await b.token(['enroll', p1, '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^part 1 of 2 of a Google Authenticator export \(part 2 is not in this enrollment\)$/m);
  assert.equal(parsed<Enrolled[]>(r).map((c) => c.part),
    [{ number: 1, of: 2, batchId: 7 }, { number: 1, of: 2, batchId: 7 }]);
  r = await b.token(['enroll', p2]);
  assert.is(r.stdout, 'enrolled Y:c (verified)\n');
  assert.match(r.stderr, /^part 2 of 2 of a Google Authenticator export \(part 1 is not in this enrollment\)$/m);
  refused(await b.token(['enroll', p1]),
    /^token: credentials named 'X:a', 'X:b' are already on the token; nothing was enrolled/);
  assert.equal(await ids(b), ['X:a', 'X:b', 'Y:c']);
});

Q('an export on stdin, and the same part given twice in one command enrolls its credentials once', async () => {
  const uri = exportUri({ params: [cred('S:in')], batchSize: 2, batchIndex: 0, batchId: 9 });
  let r = await b.token(['enroll', '-'], { input: uri + '\n' });
  assert.is(r.stdout, 'enrolled S:in (verified)\n', r.stderr);
  const f = await png(b, 'twice.png', exportUri({ params: [cred('T:twice')] }));
  r = await b.token(['enroll', f, f]);
  assert.is(r.stdout, 'enrolled T:twice (verified)\n', r.stderr);
  assert.match(r.stderr, /'T:twice' is in the input twice, identical; enrolling it once/);
});
Q.run();

const A = suite('all or nothing: when the 3rd credential of 5 is bad, the token is left as it was');
A.before.each(async () => {
  b = box();
  assert.is((await b.token(['enroll', '--secret', '-', '--issuer', 'Taken', '--name', 'c'],
    { input: 'GEZDGNBVGY3TQOJQ' })).code, 0);
});
A.after.each(() => b.done());
const five = (third: OtpParams) =>
  exportUri({ params: [cred('Ok:a'), cred('Ok:b'), third, cred('Ok:d'), cred('Ok:e')] });

A('the 3rd is already on the token', async () => {
  refused(await b.token(['enroll', await png(b, 'f.png', five(cred('Taken:c')))]),
    /^token: a credential named 'Taken:c' is already on the token; nothing was enrolled/);
  assert.equal(await ids(b), ['Taken:c']);
});
A('the 3rd is MD5, or has a secret the device cannot hold', async () => {
  refused(await b.token(['enroll', await png(b, 'md5.png', five(cred('Shop:c', { algorithm: 4 })))]),
    /^token: credential 3 \('Shop:c'\): MD5 is not an OATH algorithm/);
  refused(await b.token(['enroll', '-'], { input: five(cred('Shop:c', { secret: Uint8Array.of(7) })) }),
    /^token: credential 3 of 5 \('Shop:c'\): the token cannot hold it: a 1-byte secret/);
  assert.equal(await ids(b), ['Taken:c']);
});
A('past the capacity: the message says how many do not fit', async () => {
  const many = Array.from({ length: 61 }, (_, i) => cred(`Many:m${i}`));
  assert.is((await b.token(['enroll', '-'], { input: exportUri({ params: many }) })).code, 0);
  refused(await b.token(['enroll', '-'], { input: five(cred('Ok:c')) }),
    /^token: 5 credentials do not fit: the token holds 62 of 64, room for 2, so 3 do not fit; nothing was enrolled$/m);
  assert.is((await ids(b)).length, 62);
});
A.run();

const V = suite('the verified burn catches a device that stores a key wrong, and rolls the enrollment back');
V.before.each(() => { b = box(); });
V.after.each(() => b.done());

V('a flash fault on the 3rd of 5 (a test-only firmware hook set by --import): exit 1, one line, token as it was',
  async () => {
  assert.is((await b.token(['enroll', '--secret', '-', '--name', 'keep'], { input: 'GEZDGNBVGY3TQOJQ' })).code, 0);
  const hook = join(b.dir, 'flash-fault.mjs');
  writeFileSync(hook,
    "globalThis[Symbol.for('totp-fob.test.flash-fault')] = (id, key) => { if (id === 'Bad:c') key[0] ^= 1; };\n");
  const faulty = (input: string) =>
    run(process.execPath, ['--import', hook, TOKEN, 'enroll', '-', '--json'], { env: b.env, input });
  refused(await faulty(five(cred('Bad:c'))),
    new RegExp("^token: the burn of 'Bad:c' did not verify: the token's code at time step \\d+ is not the one " +
      'its secret gives; all 5 credentials of this enrollment were removed again; the token is as it was$', 'm'));
  assert.equal(await ids(b), ['keep']);
  // The same process without the fault's target burns and verifies.
  const r = await faulty(five(cred('Good:c')));
  assert.is(r.code, 0, r.stderr);
  assert.ok(parsed<Enrolled[]>(r).every((c) => c.verified === true));
  assert.is((await ids(b)).length, 6);
});

V('an HOTP credential is caught too, by its counters', async () => {
  assert.is((await b.token(['init'])).code, 0);
  const hook = join(b.dir, 'flash-fault.mjs');
  writeFileSync(hook,
    "globalThis[Symbol.for('totp-fob.test.flash-fault')] = (id, key) => { if (id === 'ctr') key[3] ^= 0x40; };\n");
  const r = await run(process.execPath, ['--import', hook, TOKEN, 'enroll', '-'],
    { env: b.env, input: exportUri({ params: [cred('ctr', { type: 1, counter: 10 })] }) });
  refused(r, new RegExp("^token: the burn of 'ctr' did not verify: the token's code at counter 8 is not the one " +
    'its secret gives; it was removed again'));
  assert.equal(await ids(b), []);
});
V.run();
