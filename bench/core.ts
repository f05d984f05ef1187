// HOTP-SHA-1 codes per second on one core: our core against node:crypto used naively,
// otpauth, otplib and oathtool (C). Every contender makes string codes; each gets a
// warm-up and the best of 5 timed rounds. A second table times verify with ±10 steps.
import { createHmac } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as OTPAuth from 'otpauth';
import { generateSync, verifySync } from 'otplib';
import { base32Encode, createOtp } from '../device/core/index.js';

const KEY = new Uint8Array(Buffer.from('3132333435363738393031323334353637383930', 'hex'));
const HEX = Buffer.from(KEY).toString('hex');
const ROUNDS = 5, ROUND_MS = 250;
let sink: unknown;

/** Ops per second: calibrate a round to ~ROUND_MS, warm up, best of ROUNDS. */
function measure(run: (n: number) => void): number {
  let n = 1000;
  for (;;) {
    const t = performance.now(); run(n);
    const ms = performance.now() - t;
    if (ms > 40) { n = Math.max(1, Math.round((n * ROUND_MS) / ms)); break; }
    n *= 4;
  }
  run(n);
  let best = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now(); run(n);
    best = Math.max(best, n / ((performance.now() - t) / 1000));
  }
  return best;
}

/** Naive HOTP as most code writes it: a fresh createHmac per code. */
function naive(key: Uint8Array, c: number): string {
  const msg = Buffer.alloc(8);
  msg.writeUInt32BE(Math.floor(c / 0x100000000), 0); msg.writeUInt32BE(c >>> 0, 4);
  const d = createHmac('sha1', key).update(msg).digest();
  return String((d.readUInt32BE(d[19]! & 15) & 0x7fffffff) % 1e6).padStart(6, '0');
}

function best(args: string[], out: number): number {
  let t = Infinity;
  for (let r = 0; r < ROUNDS + 1; r++) {
    const t0 = process.hrtime.bigint();
    const p = spawnSync('oathtool', args, { stdio: ['ignore', out, 'ignore'] });
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (p.status !== 0) throw new Error(`oathtool ${args.join(' ')} exited ${p.status}`);
    if (r > 0) t = Math.min(t, dt);
  }
  return t;
}

/** oathtool's -w window mode prints N codes from one process; its start-up (-w 0) is taken off. */
function oathtool(check: string[]): number | string {
  const probe = spawnSync('oathtool', ['--hotp', '-w', String(check.length - 1), HEX], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return 'not installed';
  if (probe.stdout.trim().split('\n').join() !== check.join()) return 'disagrees with us (!)';
  const N = 1_000_000, devnull = openSync('/dev/null', 'w');
  try {
    const start = best(['--hotp', '-w', '0', HEX], devnull);
    const full = best(['--hotp', '-w', String(N - 1), HEX], devnull);
    return N / (full - start);
  } finally { closeSync(devnull); }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
function table(title: string, unit: string, rows: [string, number | string][]): string {
  const ours = rows[0]![1] as number;
  const lines = [title, `${'contender'.padEnd(34)}${unit.padStart(14)}   ours is`];
  for (const [name, v] of rows) {
    lines.push(typeof v === 'number'
      ? `${name.padEnd(34)}${fmt(v).padStart(14)}   ${(ours / v).toFixed(1).padStart(5)}×`
      : `${name.padEnd(34)}${v.padStart(14)}`);
  }
  return lines.join('\n');
}

export async function bench(): Promise<string> {
  const otp = createOtp({ secret: KEY });
  const oa = new OTPAuth.HOTP({ secret: OTPAuth.Secret.fromHex(HEX) });
  const check = Array.from({ length: 10 }, (_, i) => otp.hotp(i));
  // Everyone must produce the same codes before anyone is timed.
  for (let i = 0; i < 10; i++) {
    const got = [naive(KEY, i), oa.generate({ counter: i }),
      generateSync({ strategy: 'hotp', secret: KEY, counter: i })];
    if (got.some((g) => g !== check[i])) throw new Error(`contenders disagree at counter ${i}: ${check[i]} vs ${got}`);
  }

  let c = 0;
  const gen: [string, number | string][] = [
    ['totp-fob core (createOtp().hotp)', measure((n) => { for (let i = 0; i < n; i++) sink = otp.hotp(c++); })],
    ['node:crypto createHmac, naive', measure((n) => { for (let i = 0; i < n; i++) sink = naive(KEY, c++); })],
    ['otpauth 9 (HOTP.generate)', measure((n) => {
      for (let i = 0; i < n; i++) sink = oa.generate({ counter: c++ });
    })],
    ['otplib 13 (generateSync)', measure((n) => {
      for (let i = 0; i < n; i++) sink = generateSync({ strategy: 'hotp', secret: KEY, counter: c++ });
    })],
    ['oathtool -w (C, start-up removed)', oathtool(check)],
  ];

  // Verify with a code that matches no step, so every contender scans all 21.
  const T = 1_700_000_000;
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromHex(HEX) });
  let miss = 0;
  while (otp.verify(String(miss).padStart(6, '0'), { time: T, window: 10 }) !== null) miss++;
  const token = String(miss).padStart(6, '0');
  let t = T;
  const ver: [string, number | string][] = [
    ['totp-fob core (createOtp().verify)', measure((n) => {
      for (let i = 0; i < n; i++) sink = otp.verify(token, { time: (t += 30), window: 10 });
    })],
    ['node:crypto createHmac, naive', measure((n) => {
      for (let i = 0; i < n; i++) {
        const s = Math.floor((t += 30) / 30);
        let hit = -1;
        for (let d = -10; d <= 10; d++) if (naive(KEY, s + d) === token && hit < 0) hit = d;
        sink = hit;
      }
    })],
    ['otpauth 9 (TOTP.validate)', measure((n) => {
      for (let i = 0; i < n; i++) sink = totp.validate({ token, timestamp: (t += 30) * 1000, window: 10 });
    })],
    ['otplib 13 (verifySync)', measure((n) => {
      for (let i = 0; i < n; i++) {
        sink = verifySync({ strategy: 'totp', secret: KEY, token, epoch: (t += 30), epochTolerance: 300 });
      }
    })],
    ['oathtool', 'n/a: a process per verify'],
  ];

  const ours = gen[0]![1] as number, rate = (i: number) => gen[i]![1];
  const vs = (i: number, x: number) => {
    const v = rate(i);
    return typeof v === 'number' ? `${(ours / v).toFixed(1)}× (${ours / v >= x ? 'met' : 'MISSED'})` : `n/a (${v})`;
  };
  void sink;
  return [
    table('HOTP-SHA1, string codes, one core, best of 5 rounds', 'codes/s', gen),
    `targets: ≥3,000,000 codes/s: ${fmt(ours)} (${ours >= 3e6 ? 'met' : 'MISSED'}); `
      + `≥8× otpauth: ${vs(2, 8)}; ≥1.2× oathtool: ${vs(4, 1.2)}`,
    '',
    table('TOTP-SHA1 verify, window ±10 steps (21 codes), code not in the window', 'verifies/s', ver),
  ].join('\n');
}
