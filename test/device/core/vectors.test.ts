// Every published vector in vectors/*.json (typed from the RFC texts) through the core.
import { createHash, createHmac } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ALGORITHMS, counterBytes, createMac, createOtp, hmac, hotp, sha, timeStep, totp, truncate,
} from '../../../device/core/index.js';
import { bytesOf, loadVectors, runSelftest } from '../../../device/host/selftest.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const r4226 = suite('RFC 4226 Appendix D');
{
  const d = loadVectors('rfc4226');
  const key = bytesOf(d.secret);
  r4226('the secret is the ASCII digits 1234567890 twice', () => assert.is(hex(key), d.secretHex));
  for (const c of d.cases) {
    r4226(`counter ${c.counter}: HMAC-SHA-1, truncated value, HOTP`, () => {
      const digest = hmac('SHA1', key, counterBytes(c.counter));
      assert.is(hex(digest), c.hmac);
      // The RFC drops the leading zero of 082fef30 and 04e5b397; compare as numbers.
      assert.is(parseInt(c.truncatedHex, 16), c.truncatedDec);
      assert.is(createMac('SHA1', key).truncated(c.counter), c.truncatedDec);
      assert.is(truncate(digest, 6), c.hotp);
      assert.is(hotp(key, c.counter), c.hotp);
      assert.is(createOtp({ secret: key }).hotp(c.counter), c.hotp);
    });
  }
}
r4226.run();

const r6238 = suite('RFC 6238 Appendix B');
{
  const t = loadVectors('rfc6238');
  for (const [i, r] of t.rows.entries()) {
    r6238(`row ${i + 1} (${r.utc}): T = ${r.T}`, () => {
      assert.is(timeStep(r.time, t.period, t.t0).toString(16).toUpperCase().padStart(16, '0'), r.T);
    });
    for (const a of ALGORITHMS) {
      r6238(`${a} row ${i + 1}, t = ${r.time}`, () => {
        const seed = bytesOf(t.seeds[a]);
        assert.is(totp(seed, r.time, { algorithm: a, digits: 8 }), r[a]);
        assert.is(createOtp({ secret: seed, algorithm: a, digits: 8 }).totp(r.time), r[a]);
        assert.is(hotp(seed, parseInt(r.T, 16), { algorithm: a, digits: 8 }), r[a]);
      });
    }
  }
  r6238('Errata 2866: seeds are 20, 32 and 64 bytes; the 20-byte seed gives the wrong SHA-256/512 codes', () => {
    assert.equal(ALGORITHMS.map((a) => bytesOf(t.seeds[a]).length), [20, 32, 64]);
    const w = t.wrongSeed, seed = bytesOf(w.seed);
    assert.is(totp(seed, w.time, { algorithm: 'SHA256', digits: 8 }), w.SHA256);
    assert.is(totp(seed, w.time, { algorithm: 'SHA512', digits: 8 }), w.SHA512);
    assert.is.not(w.SHA256, t.rows[0].SHA256);
  });
}
r6238.run();

const mac = suite('RFC 2202 and RFC 4231 HMAC');
for (const c of loadVectors('hmac').cases) {
  for (const a of ALGORITHMS) {
    if (!c[a]) continue;
    mac(`${c.id}, HMAC-${a}`, () => {
      const key = bytesOf(c.key), data = bytesOf(c.data);
      assert.is(hex(hmac(a, key, data)), c[a]);
      assert.is(createHmac(a, key).update(data).digest('hex'), c[a], 'node:crypto agrees with the typed value');
    });
  }
}
mac.run();

const fips = suite('FIPS 180 SHA');
for (const c of loadVectors('sha').cases) {
  for (const a of ALGORITHMS) {
    fips(`${a}("${c.id}")`, () => {
      const msg = bytesOf(c.message);
      assert.is(hex(sha(a, msg)), c[a]);
      assert.is(createHash(a).update(msg).digest('hex'), c[a], 'node:crypto agrees with the typed value');
    });
  }
}
fips.run();

const self = suite('runSelftest');
self('one row per vector, all ok: 30 RFC 4226 + 24 RFC 6238 + 19 HMAC + 12 SHA', () => {
  const rows = runSelftest();
  assert.is(rows.length, 85);
  assert.equal(rows.filter((r) => !r.ok), []);
  assert.ok(rows.every((r) => r.expected === r.got && /^[a-z0-9-]+(\/[A-Za-z0-9-]+)+$/.test(r.id)));
  assert.equal(new Set(rows.map((r) => r.id)).size, rows.length, 'ids are unique');
});
self.run();
