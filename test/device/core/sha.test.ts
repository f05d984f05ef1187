import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { K512, K256, IV512, IV256 } from '../../../device/core/sha.js';

// FIPS 180-4 §4.2.2/§4.2.3/§5.3: the first 64 fraction bits of the cube roots of the first
// 80 primes (K) and of the square roots of the first 8 (IV). Derived here independently of
// the typed table, so a typo in one word cannot hide.
const primes: bigint[] = [];
for (let n = 2n; primes.length < 80; n++) if (primes.every((p) => n % p !== 0n)) primes.push(n);
function iroot(x: bigint, k: bigint): bigint {
  let r = 1n << (BigInt(x.toString(2).length) / k + 1n);
  for (;;) {
    const next = ((k - 1n) * r + x / r ** (k - 1n)) / k;
    if (next >= r) return r;
    r = next;
  }
}
const frac64 = (p: bigint, k: bigint) => {
  const f = iroot(p << (64n * k), k) & 0xffffffffffffffffn;
  return [Number(f >> 32n) | 0, Number(f & 0xffffffffn) | 0];
};

test('SHA-512 K is the cube-root fractions of the first 80 primes (FIPS 180-4 §4.2.3)', () => {
  assert.equal(Array.from(K512), primes.flatMap((p) => frac64(p, 3n)));
});
test('SHA-256 K is the top 32 bits of the first 64 of them (FIPS 180-4 §4.2.2)', () => {
  assert.equal(Array.from(K256), primes.slice(0, 64).map((p) => frac64(p, 3n)[0]));
  assert.is(K256[0]! >>> 0, 0x428a2f98);
});
test('SHA-512 and SHA-256 initial hash values are the square-root fractions of the first 8 primes', () => {
  assert.equal(Array.from(IV512), primes.slice(0, 8).flatMap((p) => frac64(p, 2n)));
  assert.equal(Array.from(IV256), primes.slice(0, 8).map((p) => frac64(p, 2n)[0]));
  assert.is(IV256[0]! >>> 0, 0x6a09e667);
});
test.run();
