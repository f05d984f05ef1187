// Enrollment sources: each format behind one interface, sniffed from content; device limits.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkEnrollment, type Enrollment } from '../../../device/host/enrollment.js';
import { fromArgument, fromBytes, fromFlags, SOURCES } from '../../../device/host/sources.js';
import { tempDir } from '../../helpers.js';
import { AWS_URI, qrPng } from './qrpng.js';

const enc = (s: string) => new Uint8Array(Buffer.from(s));
const codeOf = async (p: Promise<unknown> | (() => unknown)): Promise<string> => {
  try { await (typeof p === 'function' ? p() : p); return 'ok'; } catch (e) {
    return (e as { code?: string }).code ?? 'untyped';
  }
};

test("AWS's URI form: issuer from the parameter, the account keeps its @account", async () => {
  const f = await fromArgument(AWS_URI);
  const e = f.enrollments[0]!;
  assert.is(e.issuer, 'Amazon Web Services');
  assert.is(e.account, 'alice@123456789012');
  assert.is(e.secret.length, 40);
  assert.equal([e.type, e.algorithm, e.digits, e.period], ['totp', 'SHA1', 6, 30]);
  assert.is(checkEnrollment(e).id, 'Amazon Web Services:alice@123456789012');
});

test('AWS documented template without issuer: the label is the account', async () => {
  const f = await fromArgument('otpauth://totp/bob@123456789012?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  assert.is(f.enrollments[0]!.issuer, undefined);
  assert.is(checkEnrollment(f.enrollments[0]!).id, 'bob@123456789012');
});

test('a URI file with several lines enrolls each; a BOM and CRLF are tolerated', async () => {
  const f = await fromBytes(enc('\uFEFFotpauth://totp/A:x?secret=GEZDGNBV\r\n' +
    'otpauth://hotp/B:y?secret=GEZDGNBV&counter=7&digits=8\r\n'));
  assert.equal(f.enrollments.map((e) => [e.issuer, e.account, e.type, e.counter, e.digits]),
    [['A', 'x', 'totp', 0, 6], ['B', 'y', 'hotp', 7, 8]]);
});

test('label and parameter issuers that differ: the parameter wins, with a warning naming both', async () => {
  const f = await fromArgument('otpauth://totp/Old:me?secret=GEZDGNBV&issuer=New');
  assert.is(f.enrollments[0]!.issuer, 'New');
  assert.match(f.warnings[0]!, /Old.*New/);
});

test('a PNG file is sniffed from its bytes, whatever its name', async () => {
  const t = tempDir();
  try {
    const p = join(t.dir, 'code.txt');
    writeFileSync(p, await qrPng(AWS_URI, { scale: 3, margin: 4 }));
    assert.is((await fromArgument(p)).enrollments[0]!.account, 'alice@123456789012');
    assert.is((await fromArgument('-', async () => new Uint8Array(await qrPng(AWS_URI, { scale: 2, margin: 1 }))))
      .enrollments.length, 1);
    writeFileSync(p, 'hello');
    assert.is(await codeOf(fromArgument(p)), 'E_SOURCE');
    assert.is(await codeOf(fromArgument(join(t.dir, 'missing.png'))), 'E_SOURCE');
  } finally { t.done(); }
});

test('a QR holding something else is a clear E_QR_UNREADABLE; a broken Google export is E_MIGRATION', async () => {
  assert.is(await codeOf(fromBytes(new Uint8Array(await qrPng('https://example.com/', { scale: 3, margin: 4 })))),
    'E_QR_UNREADABLE');
  assert.is(await codeOf(fromBytes(new Uint8Array(await qrPng('otpauth-migration://offline?data=AAAA',
    { scale: 3, margin: 4 })))), 'E_MIGRATION');
});

test('every source has a name, a sniff and a read (a new format is one more of these)', () => {
  assert.ok(SOURCES.length >= 2);
  for (const s of SOURCES) assert.ok(s.name && typeof s.sniff === 'function' && typeof s.read === 'function');
});

test('--secret flags: defaults, HOTP with a counter, base32 as issuers write it', () => {
  const e = fromFlags({ secret: 'gezd gnbv gy3t qojq', name: 'n', digits: '8', algorithm: 'sha256' }).enrollments[0]!;
  assert.equal([e.account, e.type, e.algorithm, e.digits, e.period, e.secret.length],
    ['n', 'totp', 'SHA256', 8, 30, 10]);
  const h = fromFlags({ secret: 'GEZDGNBV', name: 'c', hotp: true, counter: '42' }).enrollments[0]!;
  assert.equal([h.type, h.counter], ['hotp', 42]);
});

test('--secret flag mistakes are usage errors or typed input errors', async () => {
  assert.is(await codeOf(() => fromFlags({ secret: 'GEZDGNBV' })), 'E_USAGE');
  assert.is(await codeOf(() => fromFlags({ secret: 'GEZDGNBV', name: 'x', digits: 'six' })), 'E_USAGE');
  assert.is(await codeOf(() => fromFlags({ secret: 'GEZDGNBV', name: 'x', counter: '3' })), 'E_USAGE');
  assert.is(await codeOf(() => fromFlags({ secret: 'GEZ1', name: 'x' })), 'E_BASE32');
  assert.is(await codeOf(() => fromFlags({ secret: 'GEZDGNBV', name: 'x', algorithm: 'MD5' })), 'E_ALGORITHM');
});

const base: Enrollment = {
  account: 'a', secret: new Uint8Array(20), type: 'totp', algorithm: 'SHA1', digits: 6, period: 30, counter: 0,
};

test('the device refuses digits outside 6 to 8 and periods outside 1 to 300 s', async () => {
  for (const digits of [5, 9, 10]) assert.is(await codeOf(() => checkEnrollment({ ...base, digits })), 'E_UNSUPPORTED');
  for (const period of [0, 301, 1.5]) {
    assert.is(await codeOf(() => checkEnrollment({ ...base, period })), 'E_UNSUPPORTED');
  }
  for (const [digits, period] of [[6, 1], [8, 300], [7, 60]]) {
    assert.is(await codeOf(() => checkEnrollment({ ...base, digits: digits!, period: period! })), 'ok');
  }
});

test('an id over 64 bytes is E_ID_TOO_LONG; an HOTP counter past 2^32-1 is refused', async () => {
  assert.is(await codeOf(() => checkEnrollment({ ...base, account: 'x'.repeat(65) })), 'E_ID_TOO_LONG');
  assert.is(await codeOf(() => checkEnrollment({ ...base, account: 'x'.repeat(62), period: 60 })), 'E_ID_TOO_LONG');
  assert.is(await codeOf(() => checkEnrollment({ ...base, type: 'hotp', counter: 2 ** 32 })), 'E_UNSUPPORTED');
});

test('a secret under 16 bytes is accepted with a warning (issuers send 10)', () => {
  assert.equal(checkEnrollment(base).warnings, []);
  assert.match(checkEnrollment({ ...base, secret: new Uint8Array(10) }).warnings[0]!, /10 bytes.*16/);
  assert.not.ok(checkEnrollment({ ...base, secret: new Uint8Array(10) }).warnings.join().match(/AAAA/),
    'no secret in the warning');
});

test.run();
