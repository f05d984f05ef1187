// RFC 4648 base32 as real issuers write it, and a fuzz of the decoder.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { OtpError, base32Decode, base32Encode } from '../../../device/core/index.js';
import { rng } from './rng.js';

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const fail = (s: string): string => {
  try {
    base32Decode(s);
  } catch (e) {
    assert.instance(e, OtpError); assert.is((e as OtpError).code, 'E_BASE32');
    return (e as Error).message;
  }
  return assert.unreachable(`${JSON.stringify(s)} decoded`) as never;
};

const b32 = suite('base32');
// RFC 4648 §10 test vectors, padded as printed there.
const RFC = [['', ''], ['f', 'MY======'], ['fo', 'MZXQ===='], ['foo', 'MZXW6==='], ['foob', 'MZXW6YQ='],
  ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI======']] as const;
b32('RFC 4648 §10 vectors: encode is upper case without padding', () => {
  for (const [plain, enc] of RFC) assert.is(base32Encode(bytes(plain)), enc.replace(/=+$/, ''));
});
b32('RFC 4648 §10 vectors decode padded, unpadded, partly padded and in lower case', () => {
  for (const [plain, enc] of RFC) {
    for (const v of [enc, enc.replace(/=+$/, ''), enc.replace(/==$/, ''), enc.toLowerCase()]) {
      assert.is(text(base32Decode(v)), plain, v);
    }
  }
});
b32('spaces between groups (as Google and AWS consoles show secrets) are ignored', () => {
  assert.is(text(base32Decode('mzxw 6ytb oi')), 'foobar');
  assert.is(text(base32Decode('  MZXW6YTBOI====== ')), 'foobar');
});
b32('leftover bits after the last whole byte are dropped, as authenticator apps do', () => {
  assert.is(base32Decode('A').length, 0);
  assert.is(text(base32Decode('MZXW6YTBO')), 'foob' + 'a');
});
b32('a bad character is named with its 1-based position', () => {
  assert.match(fail('JBSWY1DP'), /'1' at position 6/);
  assert.match(fail('JBSW-Y3DP'), /'-' at position 5/);
  assert.match(fail('JBSWY3DP0'), /'0' at position 9/);
  assert.match(fail('JB\tSW'), /U\+0009 at position 3/);
  assert.match(fail('JBSWÄ'), /U\+00C4 at position 5/);
  assert.match(fail('MZXW6===Q'), /data after padding at position 9/);
});
b32('10,000 random byte strings round-trip through encode and decode', () => {
  const r = rng();
  for (let i = 0; i < 10_000; i++) {
    const b = r.bytes(r.int(100));
    assert.equal(base32Decode(base32Encode(b)), b);
    assert.equal(base32Decode(base32Encode(b).toLowerCase()), b);
  }
});
b32.run();

const fuzz = suite('base32Decode fuzz');
const POOL = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcdefghijklmnopqrstuvwxyz',
  ' ', '=', '0', '1', '8', '9', '-', '\t', '\n', '\0', '\u00e9', '\u200b', '\ud83d', '\ude00', '\ud83d\ude00',
  '%', '+', '/', '\u0130', '\u017f', '\u212a'];
fuzz('100,000 random and mutated inputs: a Uint8Array or an E_BASE32 OtpError, nothing else', () => {
  const r = rng();
  let ok = 0, refused = 0;
  for (let i = 0; i < 100_000; i++) {
    let s: string;
    if (i % 2) {
      s = Array.from({ length: r.int(40) }, () => r.pick(POOL)).join('');
    } else {
      s = base32Encode(r.bytes(r.int(40)));
      for (let k = r.range(0, 3); k > 0; k--) {
        const at = r.int(s.length + 1);
        const op = r.int(4);
        s = op === 0 ? s.slice(0, at) + r.pick(POOL) + s.slice(at)
          : op === 1 ? s.slice(0, at) + s.slice(at + 1)
          : op === 2 ? s.slice(0, at) + '='.repeat(r.int(7))
          : s.toLowerCase();
      }
    }
    try {
      const out = base32Decode(s);
      assert.instance(out, Uint8Array);
      const n = s.replace(/[ =]/g, '').length;
      assert.is(out.length, Math.floor((n * 5) / 8), `length of ${JSON.stringify(s)} (seed ${r.seed})`);
      assert.equal(base32Decode(base32Encode(out)), out);
      ok++;
    } catch (e) {
      if (!(e instanceof OtpError) || e.code !== 'E_BASE32') {
        assert.unreachable(`${JSON.stringify(s)} threw ${String(e)} (seed ${r.seed})`);
      }
      refused++;
    }
  }
  assert.ok(ok > 10_000 && refused > 10_000, `both outcomes exercised: ${ok} decoded, ${refused} refused`);
});
fuzz('non-strings are E_BASE32 too', () => {
  for (const v of [null, undefined, 42, {}, new Uint8Array(3)]) fail(v as unknown as string);
});
fuzz.run();
