// Differential test against oathtool (OATH Toolkit, C): random keys, counters, times,
// periods and digits; every code it prints must be the one we compute.
import { execFile } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ALGORITHMS, createOtp, type Algorithm } from '../../../device/core/index.js';
import { has, oracle } from '../../helpers.js';
import { rng } from './rng.js';

// helpers.run() writes to the child's stdin, which oathtool may close first (EPIPE).
const oathtool = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
  execFile('oathtool', args, { timeout: 30_000 }, (err, stdout, stderr) =>
    res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
});

const r = rng();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const YEAR_2600 = 19_880_899_200; // 2600-01-01T00:00:00Z

interface Case {
  args: string[]; key: Uint8Array; algorithm: Algorithm; digits: number; period: number; t0: number;
  first: number; n: number; what: string;
}

function makeCase(i: number): Case {
  const key = r.bytes(r.range(1, 100)), digits = r.range(6, 8), n = r.range(1, 4);
  if (i % 4 === 0) {
    // oathtool's HOTP mode is SHA-1 only; counters up to 2^53.
    const c = r.pick([r.int(1000), r.int(2 ** 32), r.int(2 ** 53 - 8)]);
    return { args: ['--hotp', '-d', String(digits), '-c', String(c), '-w', String(n - 1), hex(key)],
      key, algorithm: 'SHA1', digits, period: 30, t0: 0, first: c, n, what: `hotp c=${c}` };
  }
  const algorithm = ALGORITHMS[i % 3]!, period = r.pick([30, 60, r.range(1, 600)]);
  const t0 = r.int(3) ? 0 : r.int(2_000_000_000), t = t0 + r.int(YEAR_2600 - t0);
  return {
    args: [`--totp=${algorithm}`, '-d', String(digits), '-s', `${period}s`, '-S', `@${t0}`, '-N', `@${t}`,
      '-w', String(n - 1), hex(key)],
    key, algorithm, digits, period, t0, first: Math.floor((t - t0) / period), n,
    what: `totp t=${t} t0=${t0} period=${period}`,
  };
}

test('600 random HOTP and TOTP cases (SHA1/256/512, 6-8 digits, keys 1-100 bytes, to year 2600) agree with oathtool'
  + ` (seed ${r.seed})`, async () => {
  if (!oracle('oathtool', has('oathtool'))) return;
  const cases = Array.from({ length: 600 }, (_, i) => makeCase(i));
  let compared = 0, next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const out = await oathtool(c.args);
      assert.is(out.code, 0, `oathtool ${c.args.join(' ')}: ${out.stderr}`);
      const theirs = out.stdout.trim().split('\n');
      const otp = createOtp({ secret: c.key, algorithm: c.algorithm, digits: c.digits, period: c.period, t0: c.t0 });
      const ours = Array.from({ length: c.n }, (_, k) => otp.hotp(c.first + k));
      assert.equal(ours, theirs, `${c.algorithm} ${c.what} digits=${c.digits} key=${hex(c.key)}`);
      if (c.args[0] !== '--hotp') assert.is(otp.totp(Number(c.args[c.args.indexOf('-N') + 1]!.slice(1))), theirs[0]);
      compared += c.n;
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  assert.ok(compared >= 600, `${compared} codes compared`);
});

test('oathtool and we agree that T past 2038 and 2^32 steps is fine (t = 20000000000, period 1)', async () => {
  if (!oracle('oathtool', has('oathtool'))) return;
  const key = new TextEncoder().encode('12345678901234567890');
  const out = await oathtool(['--totp=SHA512', '-d', '8', '-s', '1s', '-N', '@20000000000', '-w', '2', hex(key)]);
  const otp = createOtp({ secret: key, algorithm: 'SHA512', digits: 8, period: 1 });
  assert.equal(out.stdout.trim().split('\n'), [0, 1, 2].map((k) => otp.totp(20000000000 + k)));
});

test.run();
