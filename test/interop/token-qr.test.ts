// Oracles for QR codes: qrencode draws PNGs that `token enroll` must read (sizes, margins,
// polarities, transparency, AWS's URI form), and zbarimg must read every PNG this project writes.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkEnrollment } from '../../device/host/enrollment.js';
import { readQr } from '../../device/host/qr.js';
import { fromArgument } from '../../device/host/sources.js';
import { otpauthUri, qrPng as projectPng } from '../../provision/local/mfa.js';
import { has, oracle, tempDir } from '../helpers.js';
import { AWS_URI, qrPng } from '../device/host/qrpng.js';
import { box } from '../device/host/util.js';

const QRENCODE = has('qrencode', ['--version']), ZBAR = has('zbarimg', ['--version']);
const URIS = [
  AWS_URI,
  'otpauth://totp/bob@123456789012?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
  'otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ' +
    '&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60',
  'otpauth://hotp/Example:dave?secret=JBSWY3DPEHPK3PXP&counter=42',
];
const SHAPES: string[][] = [
  ['-s', '1', '-m', '0'], ['-s', '1', '-m', '2'], ['-s', '3', '-m', '4'], ['-s', '8', '-m', '1'],
  ['-s', '2', '-m', '0', '-l', 'H'],
  ['-s', '3', '-m', '4', '--foreground=FFFFFF', '--background=000000'],
  ['-s', '2', '-m', '0', '--foreground=FFFFFF', '--background=000000'],
  ['-s', '3', '-m', '2', '-t', 'PNG32', '--background=FFFFFF00'],
  ['-s', '4', '-m', '4', '--foreground=1A237E', '--background=FFF9C4'],
];

test('PNGs drawn by qrencode in every size, margin, polarity and transparency enroll', async () => {
  if (!oracle('qrencode', QRENCODE)) return;
  const d = tempDir('qr-');
  try {
    let n = 0;
    for (const uri of URIS) for (const shape of SHAPES) {
      const f = join(d.dir, `${n++}.png`);
      const r = spawnSync('qrencode', ['-o', f, ...shape, uri]);
      assert.is(r.status, 0, String(r.stderr));
      assert.is(await readQr(readFileSync(f)), uri, `${shape.join(' ')} ${uri}`);
      const found = await fromArgument(f);
      assert.is(found.enrollments.length, 1);
      checkEnrollment(found.enrollments[0]!);
    }
    assert.is(n, URIS.length * SHAPES.length);
  } finally { d.done(); }
});

test('`token enroll` takes qrencode PNGs of AWS\'s URI form, cropped, inverted and transparent', async () => {
  if (!oracle('qrencode', QRENCODE)) return;
  const b = box();
  try {
    const cases = [['-s', '1', '-m', '0'], ['-s', '2', '-m', '0', '--foreground=FFFFFF', '--background=000000'],
      ['-s', '3', '-m', '2', '-t', 'PNG32', '--background=FFFFFF00']];
    for (const [i, shape] of cases.entries()) {
      const f = join(b.dir, `aws${i}.png`);
      spawnSync('qrencode', ['-o', f, ...shape, AWS_URI.replace('alice', `alice${i}`)]);
      const r = await b.token(['enroll', f]);
      assert.is(r.code, 0, r.stderr);
      assert.is(r.stdout, `enrolled Amazon Web Services:alice${i}@123456789012 (verified)\n`);
    }
  } finally { b.done(); }
});

const zbar = (f: string) => {
  const r = spawnSync('zbarimg', ['--raw', '-q', f], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.replace(/\n$/, '') : `zbarimg exit ${r.status}: ${r.stderr}`;
};

test('zbarimg reads every PNG this project writes (the local endpoint\'s QRCodePNG) and our reader agrees',
  async () => {
  if (!oracle('zbarimg', ZBAR)) return;
  const d = tempDir('zbar-');
  try {
    const texts = [
      otpauthUri('alice', '123456789012', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'),
      otpauthUri('a-very-long.user+name_with=odd&chars', '000000000000',
        'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZHXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ'),
      otpauthUri('ünïcødé', '999999999999', 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'),
    ];
    for (const [i, t] of texts.entries()) {
      const f = join(d.dir, `project${i}.png`);
      writeFileSync(f, await projectPng(t));
      assert.is(zbar(f), t);
      assert.is(await readQr(readFileSync(f)), t);
    }
  } finally { d.done(); }
});

test('zbarimg also reads the qrcode-package fixtures these suites write with a quiet zone', async () => {
  if (!oracle('zbarimg', ZBAR)) return;
  const d = tempDir('zbar-');
  try {
    for (const [i, s] of [{ scale: 4, margin: 4 }, { scale: 8, margin: 2 }, { scale: 3, margin: 10, ecl: 'H' as const },
      { scale: 3, margin: 3, dark: '#1a237eff', light: '#fff9c4ff' }].entries()) {
      const f = join(d.dir, `f${i}.png`);
      writeFileSync(f, await qrPng(AWS_URI, s));
      assert.is(zbar(f), AWS_URI, JSON.stringify(s));
    }
  } finally { d.done(); }
});

test.run();
