// FIPS 180-4 §4.2.2/§4.2.3/§5.3: SHA-2 round constants are the first 64 fraction bits
// of the cube roots of the first 80 primes (SHA-256 keeps the top 32 of the first 64);
// the initial hash values are the same for square roots of the first 8 primes.
// Derived once at load rather than typed, so a typo cannot hide in a table of 240 words;
// the FIPS 180 and RFC 4231 vectors then check the result end to end.

const primes: bigint[] = [];
for (let n = 2n; primes.length < 80; n++) if (primes.every((p) => n % p !== 0n)) primes.push(n);

/** floor(x^(1/k)) for a BigInt x, by Newton's method from above. */
function iroot(x: bigint, k: bigint): bigint {
  let r = 1n << (BigInt(x.toString(2).length) / k + 1n);
  for (;;) {
    const next = ((k - 1n) * r + x / r ** (k - 1n)) / k;
    if (next >= r) return r;
    r = next;
  }
}
/** The first 64 bits after the point of p^(1/k), as [hi, lo] Int32 halves. */
function frac64(p: bigint, k: bigint): [number, number] {
  const f = iroot(p << (64n * k), k) & 0xffffffffffffffffn;
  return [Number(f >> 32n) | 0, Number(f & 0xffffffffn) | 0];
}

/** SHA-512 K as hi, lo pairs (160 words); SHA-256 K is every hi of the first 64. */
export const K512 = Int32Array.from(primes.flatMap((p) => frac64(p, 3n)));
export const K256 = Int32Array.from({ length: 64 }, (_, i) => K512[2 * i]!);
export const IV512 = Int32Array.from(primes.slice(0, 8).flatMap((p) => frac64(p, 2n)));
export const IV256 = Int32Array.from({ length: 8 }, (_, i) => IV512[2 * i]!);
