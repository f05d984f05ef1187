// The keyed HMAC engine against node:crypto (OpenSSL) on random keys and messages.
import { createHash, createHmac } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ALGORITHMS, createMac, hmac, sha, type Algorithm } from '../../../device/core/index.js';
import { rng } from './rng.js';

const r = rng();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ctr = (c: number) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(c)); return b; };
/** RFC 4226 §5.3 Snum from node's digest. */
function snum(a: Algorithm, key: Uint8Array, c: number): number {
  const d = createHmac(a, key).update(ctr(c)).digest();
  return d.readUInt32BE(d[d.length - 1]! & 15) & 0x7fffffff;
}
// Lengths where the padding spills into a second block, for 64- and 128-byte blocks.
const EDGES = [0, 1, 55, 56, 57, 63, 64, 65, 111, 112, 113, 119, 120, 127, 128, 129, 191, 192, 200, 255, 256];

test('100,000 random (key, message) pairs per algorithm, key lengths 0 to 200, match node:crypto'
  + ` (seed ${r.seed})`, () => {
  for (const a of ALGORITHMS) {
    let bad = 0, first = '';
    for (let i = 0; i < 100_000; i++) {
      const key = r.bytes(i % 201);
      const msg = r.bytes(i % 8 === 0 ? r.pick(EDGES) : r.int(300));
      const got = hex(createMac(a, key).digest(msg)), want = createHmac(a, key).update(msg).digest('hex');
      if (got !== want && !bad++) first = `key ${hex(key)} msg ${hex(msg)}`;
    }
    assert.is(bad, 0, `HMAC-${a}: ${bad} mismatches, first ${first}`);
  }
});

test('truncated(counter) is Snum of HMAC(key, 8-byte counter) for 20,000 random keys and counters up to 2^53'
  + ` (seed ${r.seed})`, () => {
  for (const a of ALGORITHMS) {
    for (let i = 0; i < 20_000; i++) {
      const key = r.bytes(r.range(0, 200));
      const c = r.pick([r.int(1000), r.int(2 ** 32), r.int(2 ** 53) + r.int(2),
        2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53]);
      const m = createMac(a, key);
      const got = m.truncated(c), want = snum(a, key, c);
      if (got !== want) assert.unreachable(`${a} key ${hex(key)} counter ${c}: ${got} != ${want}`);
    }
  }
});

test('one Mac serves digests and counters interleaved, without state leaking between them', () => {
  for (const a of ALGORITHMS) {
    const key = r.bytes(37), m = createMac(a, key);
    for (let i = 0; i < 500; i++) {
      const msg = r.bytes(r.int(400)), c = r.int(2 ** 40);
      assert.is(hex(m.digest(msg)), createHmac(a, key).update(msg).digest('hex'));
      assert.is(m.truncated(c), snum(a, key, c));
      assert.is(hex(m.digest(ctr(c))), createHmac(a, key).update(ctr(c)).digest('hex'));
    }
  }
});

test('the Mac keeps no reference to the key: changing the caller\'s bytes later changes nothing', () => {
  const key = r.bytes(20), copy = Uint8Array.from(key), m = createMac('SHA1', key);
  key.fill(0);
  assert.is(hex(m.digest(ctr(7))), createHmac('sha1', copy).update(ctr(7)).digest('hex'));
});

test('RFC 2104: a key longer than the block is the same as its hash; empty and odd-length keys work', () => {
  for (const a of ALGORITHMS) {
    const B = a === 'SHA512' ? 128 : 64;
    for (const n of [B + 1, 2 * B, 500]) {
      const long = r.bytes(n), msg = r.bytes(30);
      assert.is(hex(hmac(a, long, msg)), hex(hmac(a, sha(a, long), msg)));
    }
    for (const n of [0, 1, 3, 17, B - 1, B]) {
      const key = r.bytes(n), msg = r.bytes(n + 5);
      assert.is(hex(hmac(a, key, msg)), createHmac(a, key).update(msg).digest('hex'), `key length ${n}`);
    }
  }
});

test(`sha() matches node:crypto for 3,000 random messages of 0 to 1,000 bytes (seed ${r.seed})`, () => {
  for (let i = 0; i < 3000; i++) {
    const a = ALGORITHMS[i % 3]!, msg = r.bytes(i < 300 ? i : r.int(1001));
    assert.is(hex(sha(a, msg)), createHash(a).update(msg).digest('hex'), `${a} of ${msg.length} bytes`);
  }
});

test('algorithm names: lower case and dashed forms are taken, others are E_ALGORITHM', () => {
  const key = r.bytes(20), msg = r.bytes(5);
  assert.is(hex(hmac('sha-256' as Algorithm, key, msg)), hex(hmac('SHA256', key, msg)));
  for (const bad of ['MD5', 'SHA384', '', 'toString', '__proto__']) {
    assert.throws(() => createMac(bad as Algorithm, key), (e: { code?: string }) => e.code === 'E_ALGORITHM', bad);
  }
});

test.run();
