// `token enroll` through the real dist/ process: QR PNGs drawn by the qrcode package, names
// YKOATH would read back wrong, a refused first enroll, and metadata that reads back as enrolled.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { totp } from '../../../device/core/index.js';
import type { Run } from '../../helpers.js';
import { AWS_URI, qrPng, type Shape } from './qrpng.js';
import { box, parsed, type Box } from './util.js';

const B32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', RAW = new Uint8Array(Buffer.from('12345678901234567890'));
const AT = '2030-01-01T00:00:10Z', T = Date.parse(AT) / 1000;
function refused(r: Run, re: RegExp) {
  assert.is(r.code, 1, r.stderr + r.stdout);
  assert.is(r.stdout, '');
  assert.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, re);
}
let b: Box;

const qr = suite('QR PNGs drawn by the qrcode package enroll through `token enroll`');
qr.before(() => { b = box(); });
qr.after(() => b.done());

const SHAPES: [string, Shape][] = [
  ['scale 4, margin 4', { scale: 4, margin: 4 }],
  ['scale 1, margin 0 (cropped to its modules)', { scale: 1, margin: 0 }],
  ['scale 8, margin 2, ECC H', { scale: 8, margin: 2, ecl: 'H' }],
  ['inverted, margin 0', { scale: 2, margin: 0, dark: '#ffffffff', light: '#000000ff' }],
  ['inverted, margin 4', { scale: 3, margin: 4, dark: '#ffffffff', light: '#000000ff' }],
  ['transparent background', { scale: 3, margin: 2, light: '#00000000' }],
  ['dark blue on pale yellow', { scale: 3, margin: 3, dark: '#1a237eff', light: '#fff9c4ff' }],
];
qr('AWS\'s URI form in every shape: enrolled under its label, codes right', async () => {
  for (const [i, [what, shape]] of SHAPES.entries()) {
    const f = join(b.dir, `aws${i}.png`);
    writeFileSync(f, await qrPng(AWS_URI.replace('alice', `alice${i}`), shape));
    const r = await b.token(['enroll', f]);
    assert.is(r.code, 0, `${what}: ${r.stderr}`);
    assert.is(r.stdout, `enrolled Amazon Web Services:alice${i}@123456789012 (verified)\n`, what);
  }
  const secret = new Uint8Array(Buffer.from('12345678901234567890'.repeat(2)));
  const code = await b.token(['code', 'alice3', '--at', AT]);
  assert.is(code.stdout, totp(secret, T) + '\n', code.stderr);
});
qr('a qrcode PNG of a full URI (SHA256, 8 digits, 60 s) keeps every parameter', async () => {
  const f = join(b.dir, 'acme.png');
  writeFileSync(f, await qrPng(
    `otpauth://totp/ACME%20Co:john@x.org?secret=${B32}&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60`,
    { scale: 2, margin: 1 }));
  const r = await b.token(['enroll', f, '--json']);
  assert.equal(parsed(r), [{ id: '60/ACME Co:john@x.org', name: 'john@x.org', issuer: 'ACME Co', type: 'totp',
    algorithm: 'SHA256', digits: 8, period: 60, touch: false, verified: true }]);
});
qr.run();

const ids = suite('names that YKOATH\'s [period/][issuer:]name would read back wrong');
ids.before(() => { b = box(); });
ids.after(() => b.done());

ids('a leading digits/ (URI or --name) is refused, and no token is created by the refusal', async () => {
  refused(await b.token(['enroll', `otpauth://totp/60%2Ffoo?secret=${B32}`]),
    new RegExp("^token: the token cannot hold this credential: the name '60\\/foo' starts with digits and '\\/', " +
      'which would read back as a 60 s period'));
  assert.not.ok(existsSync(b.device), 'the refused first enroll made no token');
  refused(await b.token(['enroll', '--secret', '-', '--name', '60/foo'], { input: B32 }),
    /'60\/foo' starts with digits/);
  refused(await b.token(['enroll', '--secret', '-', '--name', 'x', '--issuer', '7/Acme'], { input: B32 }),
    /issuer '7\/Acme' starts with digits/);
  assert.not.ok(existsSync(b.device));
});
ids('a colon in a name without an issuer is refused; with an issuer it reads back exactly', async () => {
  refused(await b.token(['enroll', '--secret', '-', '--name', 'a:b:c'], { input: B32 }),
    /the name 'a:b:c' contains ':'.*give --issuer/);
  refused(await b.token(['enroll', '--secret', '-', '--name', ':lead', '--hotp'], { input: B32 }),
    /':lead' contains ':'/);
  let r = await b.token(['enroll', '--secret', '-', '--name', 'a:b:c', '--issuer', 'Acme'], { input: B32 });
  assert.is(r.stdout, 'enrolled Acme:a:b:c (verified)\n', r.stderr);
  r = await b.token(['enroll', '--secret', '-', '--name', '13/x', '--period', '60'], { input: B32 });
  assert.is(r.stdout, 'enrolled 60/13/x (verified)\n', 'with a period prefix a digits/ name reads back fine');
  const j = parsed<{ id: string; name: string; issuer: string | null; period: number }[]>(
    await b.token(['list', '--json']));
  assert.equal(j.map((c) => [c.id, c.name, c.issuer, c.period]),
    [['60/13/x', '13/x', null, 60], ['Acme:a:b:c', 'a:b:c', 'Acme', 30]]);
  const s = parsed<{ name: string; issuer: string | null; code: string }[]>(
    await b.token(['show', '--json', '--at', AT]));
  assert.equal(s.map((c) => [c.name, c.issuer]), [['13/x', null], ['a:b:c', 'Acme']]);
  assert.is(s[1]!.code, totp(RAW, T));
});
ids.run();

const meta = suite('enroll --json and list --json say the same thing');
meta.before(() => { b = box(); });
meta.after(() => b.done());

meta('same fields, issuer null when none, touch read back for TOTP and HOTP alike', async () => {
  const enrolled = [
    ...parsed<unknown[]>(await b.token(['enroll', '--json', '--secret', '-', '--name', 'plain'], { input: B32 })),
    ...parsed<unknown[]>(await b.token(['enroll', '--json', '--touch', '--secret', '-', '--name', 'ctr', '--issuer',
      'Bank', '--hotp', '--digits', '8'], { input: B32 })),
    ...parsed<unknown[]>(await b.token(['enroll', '--json', '--touch',
      `otpauth://totp/Work:me?secret=${B32}&issuer=Work&period=45`])),
  ];
  const listed = parsed<Record<string, unknown>[]>(await b.token(['list', '--json']));
  const byId = (a: any[]) => [...a].sort((x, y) => (x.id < y.id ? -1 : 1));
  // enroll adds the proof of the burn (and an HOTP credential's counter after it) to list's fields.
  assert.ok(enrolled.every((c: any) => c.verified === true));
  assert.is((enrolled[1] as any).counter, 2, 'HOTP from counter 0: the read-back spent counters 0 and 1');
  const bare = enrolled.map(({ verified: _v, counter: _c, ...c }: any) => c);
  assert.equal(byId(listed), byId(bare));
  assert.equal(listed.map((c) => Object.keys(c)),
    listed.map(() => ['id', 'name', 'issuer', 'type', 'algorithm', 'digits', 'period', 'touch']));
  assert.equal(byId(listed).map((c) => [c.id, c.issuer, c.touch, c.period]),
    [['45/Work:me', 'Work', true, 45], ['Bank:ctr', 'Bank', true, null], ['plain', null, false, 30]]);
  const text = await b.token(['list']);
  assert.match(text.stdout, /^Bank:ctr\s+hotp\s+SHA1\s+8 digits\s+touch$/m);
});
meta.run();
