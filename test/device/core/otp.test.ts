// hotp/totp/verify behaviour, the limits RFC 4226/6238 set, and the typed errors.
import { createHmac } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  MAX_COUNTER, OtpError, base32Encode, createMac, createOtp, hotp, timeStep, totp, verify, verifyWith,
  type Algorithm, type Mac,
} from '../../../device/core/index.js';

const SEED = new TextEncoder().encode('12345678901234567890');
const code = (e: unknown) => (e instanceof OtpError ? e.code : `not an OtpError: ${String(e)}`);
const throwsCode = (f: () => unknown, c: string) => {
  try { f(); } catch (e) { assert.is(code(e), c); return; }
  assert.unreachable(`expected ${c}`);
};
/** An independent HOTP from node:crypto, BigInt counter, for any digits. */
function ref(key: Uint8Array, c: number, digits: number, a: Algorithm = 'SHA1'): string {
  const m = Buffer.alloc(8); m.writeBigUInt64BE(BigInt(c));
  const d = createHmac(a, key).update(m).digest();
  const v = d.readUInt32BE(d[d.length - 1]! & 15) & 0x7fffffff;
  return String(BigInt(v) % 10n ** BigInt(digits)).padStart(digits, '0');
}

const gen = suite('hotp and totp');
gen('digits 6 to 10 give zero-padded strings of that length', () => {
  for (let d = 6; d <= 10; d++) {
    for (let c = 0; c < 50; c++) {
      const v = hotp(SEED, c, { digits: d });
      assert.is(v, ref(SEED, c, d));
      assert.ok(new RegExp(`^[0-9]{${d}}$`).test(v));
    }
  }
  assert.is(hotp(SEED, 7), '162583', 'RFC 4226 counter 7 starts with no zero but truncates to 082162583 at 9');
  assert.is(hotp(SEED, 7, { digits: 9 }), '082162583');
  assert.is(hotp(SEED, 2, { digits: 10 }), '0137359152');
});
gen('counters up to 2^53 work, and the high word reaches the HMAC', () => {
  for (const c of [2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 52 + 12345, 2 ** 53 - 1, 2 ** 53]) {
    assert.is(hotp(SEED, c, { digits: 8 }), ref(SEED, c, 8), `counter ${c}`);
  }
  assert.is.not(hotp(SEED, 2 ** 32 + 5), hotp(SEED, 5));
  assert.is(MAX_COUNTER, 2 ** 53);
});
gen('RFC 6238 §4.2: t = 20000000000 (year 2603) is step 666666666 and works', () => {
  assert.is(timeStep(20000000000), 666666666);
  assert.is(totp(SEED, 20000000000, { digits: 8 }), '65353130');
  assert.is(totp(SEED, 2 ** 40, { digits: 8 }), ref(SEED, Math.floor(2 ** 40 / 30), 8));
});
gen('period and t0: any positive whole seconds, T = floor((t - t0) / period)', () => {
  assert.is(timeStep(1000, 7, 1000), 0);
  assert.is(timeStep(1006.999, 7, 1000), 0);
  assert.is(timeStep(1007, 7, 1000), 1);
  assert.is(totp(SEED, 5000, { period: 7, t0: 1000 }), hotp(SEED, 571));
  assert.is(totp(SEED, 59.9), hotp(SEED, 1), 'fractional seconds floor');
  const o = createOtp({ secret: SEED, period: 45, t0: 15, digits: 7, algorithm: 'SHA256' });
  assert.is(o.step(105), 2);
  assert.is(o.totp(105), ref(SEED, 2, 7, 'SHA256'));
});
gen('secret as base32 text, upper or lower case, spaced, is the same key', () => {
  const b32 = base32Encode(SEED);
  assert.is(hotp(b32, 1), '287082');
  assert.is(hotp(b32.toLowerCase().replace(/(.{4})/g, '$1 '), 1), '287082');
  assert.is(createOtp({ secret: b32 }).totp(59), '287082');
});
gen('createOtp holds its settings and answers like the one-shot functions', () => {
  const o = createOtp({ secret: SEED, algorithm: 'SHA512', digits: 8 });
  assert.equal([o.algorithm, o.digits, o.period, o.t0], ['SHA512', 8, 30, 0]);
  for (let t = 0; t < 3000; t += 97) assert.is(o.totp(t), totp(SEED, t, { algorithm: 'SHA512', digits: 8 }));
});
gen.run();

const err = suite('typed errors');
err('digits 5 (and 11, 6.5, NaN) is E_DIGITS', () => {
  for (const d of [5, 11, 6.5, NaN, 0, -6]) {
    throwsCode(() => hotp(SEED, 0, { digits: d }), 'E_DIGITS');
    throwsCode(() => createOtp({ secret: SEED, digits: d }), 'E_DIGITS');
  }
});
err('period 0 (and -30, 1.5) is E_PERIOD', () => {
  for (const p of [0, -30, 1.5, NaN]) {
    throwsCode(() => totp(SEED, 59, { period: p }), 'E_PERIOD');
    throwsCode(() => createOtp({ secret: SEED, period: p }), 'E_PERIOD');
  }
});
err('an unknown algorithm is E_ALGORITHM', () => {
  for (const a of ['MD5', 'SHA384', 'sha3']) {
    throwsCode(() => hotp(SEED, 0, { algorithm: a as Algorithm }), 'E_ALGORITHM');
    throwsCode(() => createOtp({ secret: SEED, algorithm: a as Algorithm }), 'E_ALGORITHM');
  }
});
err('an empty secret (bytes, base32 "" or only padding) is E_SECRET; bad base32 is E_BASE32', () => {
  for (const s of [new Uint8Array(0), '', '  ', '====', 'A']) {
    throwsCode(() => hotp(s, 0), 'E_SECRET');
    throwsCode(() => createOtp({ secret: s }), 'E_SECRET');
  }
  throwsCode(() => hotp('JBSW1', 0), 'E_BASE32');
});
err('counters below 0, above 2^53 or fractional are E_COUNTER', () => {
  for (const c of [-1, 2 ** 53 + 2, 1.5, NaN, Infinity]) throwsCode(() => hotp(SEED, c), 'E_COUNTER');
});
err('t0 negative or fractional is E_T0; time before t0, past 2^53 steps or not finite is E_TIME', () => {
  throwsCode(() => totp(SEED, 59, { t0: -1 }), 'E_T0');
  throwsCode(() => createOtp({ secret: SEED, t0: 0.5 }), 'E_T0');
  throwsCode(() => totp(SEED, 10, { t0: 20 }), 'E_TIME');
  throwsCode(() => totp(SEED, -1), 'E_TIME');
  throwsCode(() => totp(SEED, NaN), 'E_TIME');
  throwsCode(() => totp(SEED, 2 ** 60, { period: 1 }), 'E_TIME');
  throwsCode(() => createOtp({ secret: SEED }).totp(Infinity), 'E_TIME');
});
err('errors never carry the secret', () => {
  const b32 = base32Encode(SEED);
  const bad = [() => hotp(b32, 0, { digits: 5 }), () => createOtp({ secret: b32, algorithm: 'MD5' as Algorithm })];
  for (const f of bad) {
    try { f(); } catch (e) { assert.not.ok(String((e as Error).message).includes(b32)); }
  }
});
err.run();

const ver = suite('verify');
const o = createOtp({ secret: SEED, digits: 8 });
const T = 1111111109; // step 0x23523EC
const at = (d: number) => o.totp(T + 30 * d);
ver('the current code matches with delta 0; ±1 by default', () => {
  assert.equal(o.verify('07081804', { time: T }), { step: 0x23523ec, delta: 0 });
  assert.equal(o.verify(at(-1), { time: T }), { step: 0x23523eb, delta: -1 });
  assert.equal(o.verify(at(1), { time: T }), { step: 0x23523ed, delta: 1 });
  assert.is(o.verify(at(2), { time: T }), null);
  assert.is(o.verify(at(-2), { time: T }), null);
});
ver('window n means [n, n]; [before, after] is asymmetric; 0 is now only', () => {
  assert.equal(o.verify(at(-5), { time: T, window: 5 })?.delta, -5);
  assert.equal(o.verify(at(5), { time: T, window: 5 })?.delta, 5);
  assert.is(o.verify(at(6), { time: T, window: 5 }), null);
  assert.equal(o.verify(at(-2), { time: T, window: [2, 0] })?.delta, -2);
  assert.is(o.verify(at(1), { time: T, window: [2, 0] }), null);
  assert.equal(o.verify(at(3), { time: T, window: [0, 3] })?.delta, 3);
  assert.is(o.verify(at(-1), { time: T, window: 0 }), null);
  assert.equal(o.verify(at(0), { time: T, window: 0 })?.delta, 0);
});
ver('RFC 6238 §5.2: a step at or before lastStep never matches', () => {
  const now = o.step(T);
  assert.is(o.verify(at(0), { time: T, lastStep: now }), null, 'the same code twice');
  assert.is(o.verify(at(-1), { time: T, lastStep: now - 1 }), null);
  assert.is(o.verify(at(-1), { time: T, lastStep: now }), null, 'an older step after a newer one');
  assert.equal(o.verify(at(1), { time: T, lastStep: now }), { step: now + 1, delta: 1 });
  assert.equal(o.verify(at(0), { time: T, lastStep: now - 1 }), { step: now, delta: 0 });
});
ver('wrong length, non-digits, non-strings and 10-digit values ≥ 2^31 are null, not a throw', () => {
  const codes = ['0708180', '070818045', '0708180a', ' 7081804', '07081804 ', '', '+7081804', '٠٧٠٨١٨٠٤',
    7081804, null, undefined];
  for (const c of codes) {
    assert.is(o.verify(c as string, { time: T }), null, String(c));
  }
  const ten = createOtp({ secret: SEED, digits: 10 });
  assert.is(ten.verify('9999999999', { time: T }), null);
  const real = ten.totp(T);
  assert.equal(ten.verify(real, { time: T })?.delta, 0);
  // 2^32 + v would alias v if the code were cut to 32 bits.
  assert.is(ten.verify(String(2 ** 32 + Number(real)).padStart(10, '0'), { time: T }), null);
});
ver('the nearest matching step wins, the earlier on a tie', () => {
  // With 6 digits and a ±3000 window a code appears more than once now and then; find one.
  const six = createOtp({ secret: SEED });
  const seen = new Map<string, number[]>();
  for (let d = -3000; d <= 3000; d++) {
    const c = six.totp(T + 30 * d);
    seen.set(c, [...(seen.get(c) ?? []), d]);
  }
  const dup = [...seen.entries()].find(([, ds]) => ds.length > 1);
  assert.ok(dup, 'a repeated code in 6001 steps');
  const [c, ds] = dup!;
  const best = [...ds].sort((x, y) => Math.abs(x) - Math.abs(y) || x - y)[0]!;
  assert.equal(six.verify(c, { time: T, window: 3000 })?.delta, best);
});
ver('steps before 0 are skipped, not an error', () => {
  assert.equal(o.verify(o.totp(0), { time: 0, window: 5 }), { step: 0, delta: 0 });
  assert.equal(o.verify(o.totp(31), { time: 1, window: 5 }), { step: 1, delta: 1 });
});
ver('a bad window or lastStep is a typed error, not a silent miss', () => {
  throwsCode(() => o.verify(at(0), { time: T, window: -1 }), 'E_WINDOW');
  throwsCode(() => o.verify(at(0), { time: T, window: [1, 1.5] }), 'E_WINDOW');
  throwsCode(() => o.verify(at(0), { time: T, window: 2_000_000 }), 'E_WINDOW');
  throwsCode(() => o.verify(at(0), { time: T, window: [1] as unknown as [number, number] }), 'E_WINDOW');
  throwsCode(() => o.verify(at(0), { time: T, lastStep: 1.5 }), 'E_COUNTER');
});
ver('the one-shot verify takes the same options', () => {
  const s = base32Encode(SEED);
  const code = totp(s, T, { algorithm: 'SHA256', period: 60 });
  assert.equal(verify(s, code, { time: T + 60, algorithm: 'SHA256', period: 60 })?.delta, -1);
});
ver('verify computes every step of the window whether or where the code matched (no early exit)', () => {
  const real = createMac('SHA1', SEED);
  let calls = 0;
  const counting: Mac = { ...real, truncated: (c) => { calls++; return real.truncated(c); } };
  const run = (c: string) => {
    calls = 0;
    const m = verifyWith(counting, c, { time: T, window: 10 });
    return [m?.delta ?? null, calls];
  };
  const six = createOtp({ secret: SEED });
  assert.equal(run(six.totp(T - 300)), [-10, 21], 'match at the first step scanned');
  assert.equal(run(six.totp(T)), [0, 21], 'match in the middle');
  assert.equal(run(six.totp(T + 300)), [10, 21], 'match at the last');
  assert.equal(run(six.totp(T + 3000)), [null, 21], 'no match');
  assert.equal(run('12345'), [null, 0], 'a malformed code needs no HMAC at all');
});
ver.run();
