// The seed/QR cross-check: what AWS, moto and LocalStack send, and what must abort.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import QR from 'qrcode';
import { PNG } from 'pngjs';
import { base32Encode } from '../../device/core/index.js';
import { readQr } from '../../device/host/qr.js';
import { bootstrap, decodeSeed, sameSecret } from '../../provision/seed-check.js';
import { ProvisionError } from '../../provision/errors.js';

const enc = (s: string) => new TextEncoder().encode(s);
const awsUri = (name: string, seed: string) =>
  `otpauth://totp/Amazon%20Web%20Services:${name}@123456789012?secret=${seed}&issuer=Amazon%20Web%20Services`;
const png = (text: string) => QR.toBuffer(text, { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 4 });

async function rejects(p: Promise<unknown>, code: string): Promise<ProvisionError> {
  try { await p; } catch (e) {
    assert.instance(e, ProvisionError);
    assert.is((e as ProvisionError).code, code);
    return e as ProvisionError;
  }
  assert.unreachable(`expected ${code}`);
  throw new Error('unreachable');
}

const B = suite('bootstrap: Base32StringSeed and QRCodePNG');

B('an AWS-style QR of the same 64-character seed matches and yields the label', async () => {
  const seed = base32Encode(randomBytes(40));
  assert.is(seed.length, 64);
  const b = await bootstrap(enc(seed), await png(awsUri('alice', seed)), readQr);
  assert.equal(b.label, { issuer: 'Amazon Web Services', account: 'alice@123456789012' });
  assert.equal(b.secret, decodeSeed(enc(seed)));
  assert.equal(b.warnings, []);
});

B('moto: 64 random bytes instead of a PNG give a warning and the seed', async () => {
  const seed = base32Encode(randomBytes(40));
  let bytes = randomBytes(64);
  while (bytes[0] === 0x89) bytes = randomBytes(64);
  const b = await bootstrap(enc(seed), bytes, readQr);
  assert.is(b.label, undefined);
  assert.is(b.warnings.length, 1);
  assert.match(b.warnings[0]!, /not a PNG \(64 bytes/);
  assert.equal(b.secret, decodeSeed(enc(seed)));
});

B('LocalStack: a 1×1 placeholder PNG gives a warning and the seed', async () => {
  const p = new PNG({ width: 1, height: 1 });
  p.data.fill(0);
  const b = await bootstrap(enc('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'), PNG.sync.write(p), readQr);
  assert.is(b.label, undefined);
  assert.match(b.warnings[0]!, /no readable QR code/);
});

B('a QR carrying a different secret aborts with E_QR_MISMATCH and names no secret', async () => {
  const seed = base32Encode(randomBytes(40)), other = base32Encode(randomBytes(40));
  const e = await rejects(bootstrap(enc(seed), await png(awsUri('alice', other)), readQr), 'E_QR_MISMATCH');
  assert.not.ok(e.message.includes(seed) || e.message.includes(other));
});

B('a QR one byte shorter than the seed is a mismatch, not a prefix match', async () => {
  const key = randomBytes(40);
  const e = await rejects(
    bootstrap(enc(base32Encode(key)), await png(awsUri('a', base32Encode(key.subarray(0, 35)))), readQr),
    'E_QR_MISMATCH');
  assert.match(e.message, /different secret/);
});

B('a QR that is no otpauth URI, or asks for other parameters, aborts with E_QR_URI', async () => {
  const seed = base32Encode(randomBytes(40));
  await rejects(bootstrap(enc(seed), await png('https://example.com/'), readQr), 'E_QR_URI');
  await rejects(bootstrap(enc(seed), await png(awsUri('a', seed) + '&digits=8'), readQr), 'E_QR_URI');
  await rejects(bootstrap(enc(seed), await png(awsUri('a', seed).replace('totp', 'hotp') + '&counter=0'), readQr),
    'E_QR_URI');
});

B('seeds of any length decode (LocalStack sends 32 characters, padding optional)', () => {
  assert.is(decodeSeed(enc(base32Encode(randomBytes(20)))).length, 20);
  assert.is(decodeSeed(enc('GEZDGNBVGY3TQOJQ')).length, 10);
  assert.is(decodeSeed(enc('GEZDGNBVGY3TQOJQGE======')).length, 11);
});

B('a seed that is not base32 fails without echoing its characters', () => {
  try { decodeSeed(enc('GEZDGNBVGY3TQOJ!SECRETPART')); assert.unreachable(); } catch (e) {
    assert.is((e as ProvisionError).code, 'E_SEED');
    assert.not.match((e as Error).message, /!|SECRETPART|position/);
  }
  try { decodeSeed(undefined); assert.unreachable(); } catch (e) { assert.is((e as ProvisionError).code, 'E_SEED'); }
});

B('sameSecret compares lengths first and bytes fully', () => {
  const a = randomBytes(20);
  assert.ok(sameSecret(a, Uint8Array.from(a)));
  assert.not.ok(sameSecret(a, a.subarray(0, 19)));
  const b = Uint8Array.from(a); b[19]! ^= 1;
  assert.not.ok(sameSecret(a, b));
});

B.run();
