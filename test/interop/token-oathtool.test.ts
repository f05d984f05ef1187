// Oracle: oathtool (Debian's oath-toolkit) computes the codes `token` shows, for the same secret
// and time, across algorithms, digits and periods, and at the drifted device time a year on.
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { has, oracle } from '../helpers.js';
import { box, parsed, type Box } from '../device/host/util.js';

const OK = has('oathtool');
const oathtool = (args: string[]) => {
  const r = spawnSync('oathtool', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`oathtool ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};
const B32 = {
  SHA1: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
  SHA256: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA',
  SHA512: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' +
    'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA',
};
const CREDS = [
  { name: 'sha1-6-30', alg: 'SHA1', digits: 6, period: 30 },
  { name: 'sha256-8-60', alg: 'SHA256', digits: 8, period: 60 },
  { name: 'sha512-7-15', alg: 'SHA512', digits: 7, period: 15 },
  { name: 'sha1-8-300', alg: 'SHA1', digits: 8, period: 300 },
  { name: 'sha256-6-1', alg: 'SHA256', digits: 6, period: 1 },
] as const;
const expect = (c: (typeof CREDS)[number], t: number) =>
  oathtool([`--totp=${c.alg}`, '-b', '-d', String(c.digits), '-s', `${c.period}s`, '-N', `@${Math.floor(t)}`,
    B32[c.alg]]);

async function enrollAll(b: Box) {
  for (const c of CREDS) {
    const r = await b.token(['enroll', '--secret', '-', '--name', c.name, '--algorithm', c.alg,
      '--digits', String(c.digits), '--period', String(c.period)], { input: B32[c.alg] });
    assert.is(r.code, 0, r.stderr);
  }
}
type Row = { name: string; code: string; next: string; step: number; period: number };

test('token show --json and token code equal oathtool at the same time (SHA-1/256/512, 6-8 digits, 1-300 s)',
  async () => {
  if (!oracle('oathtool', OK)) return;
  const b = box();
  try {
    const AT = '2033-05-18T03:33:20Z', t = Date.parse(AT) / 1000 + 7;
    await b.token(['init', '--at', AT]);
    await enrollAll(b);
    const at = new Date(t * 1000).toISOString();
    const rows = parsed<Row[]>(await b.token(['show', '--json', '--at', at]));
    assert.is(rows.length, CREDS.length);
    for (const c of CREDS) {
      const r = rows.find((x) => x.name === c.name)!;
      assert.is(r.code, expect(c, t), c.name);
      assert.is(r.next, expect(c, t + c.period), `${c.name} next`);
      assert.is(r.step, Math.floor(t / c.period));
      const code = await b.token(['code', c.name, '--at', at]);
      assert.is(code.stdout, expect(c, t) + '\n', c.name);
    }
  } finally { b.done(); }
});

test('across drift: --drift-ppm 20 and a host a year later, the code is oathtool\'s at the drifted device time',
  async () => {
  if (!oracle('oathtool', OK)) return;
  const b = box();
  try {
    const X = Date.parse('2030-01-01T00:00:15Z') / 1000, later = X + 365 * 86400, device = later + 365 * 86400 * 20e-6;
    assert.is((await b.token(['init', '--drift-ppm', '20', '--at', new Date(X * 1000).toISOString()])).code, 0);
    await enrollAll(b);
    const at = new Date(later * 1000).toISOString();
    const time = parsed<{ offset: number }>(await b.token(['time', '--json', '--at', at]));
    assert.ok(Math.abs(time.offset - 630.72) < 0.01, String(time.offset));
    const rows = parsed<Row[]>(await b.token(['show', '--json', '--at', at]));
    for (const c of CREDS) {
      const r = rows.find((x) => x.name === c.name)!;
      assert.is(r.code, expect(c, device), c.name);
      assert.is(r.step, Math.floor(device / c.period));
      assert.is.not(r.step, Math.floor(later / c.period), 'the drift moved it off the host\'s step');
      assert.is((await b.token(['code', c.name, '--at', at])).stdout, expect(c, device) + '\n');
    }
  } finally { b.done(); }
});

test('HOTP: token code and token show QUERY advance the counter as oathtool counts', async () => {
  if (!oracle('oathtool', OK)) return;
  const b = box();
  try {
    await b.token(['enroll', '--secret', '-', '--name', 'ctr', '--hotp', '--counter', '5', '--digits', '8'],
      { input: B32.SHA1 });
    const hotp = (c: number) => oathtool(['--hotp', '-b', '-d', '8', '-c', String(c), B32.SHA1]);
    assert.is((await b.token(['code', 'ctr'])).stdout, hotp(5) + '\n');
    assert.is((await b.token(['code', 'ctr'])).stdout, hotp(6) + '\n');
    assert.is(parsed<Row[]>(await b.token(['show', 'ctr', '--json']))[0]!.code, hotp(7));
    assert.match((await b.token(['show'])).stdout, /^ctr +\[HOTP Account\]$/m, 'not named: no code, no advance');
    assert.is((await b.token(['code', 'ctr'])).stdout, hotp(8) + '\n');
  } finally { b.done(); }
});

test.run();
