// The host clock behind --at and TOTP_FOB_NOW: Unix seconds of any size, ISO 8601, shifts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { totp } from '../../device/core/index.js';
import { hostClock } from '../../lib/clock.js';
import { box } from '../device/host/util.js';

const thrown = (f: () => unknown): string => {
  try { f(); return 'no error'; } catch (e) { return `${(e as { code?: string }).code}: ${(e as Error).message}`; }
};

test('any non-negative number is Unix seconds: 0, 59 (RFC 6238\'s first row), decimals, 10 digits', () => {
  for (const [spec, t] of [['0', 0], ['59', 59], ['59.5', 59.5], ['1111111109', 1111111109],
    ['20000000000', 20000000000]] as const) {
    const c = hostClock(spec);
    assert.is(c.now(), t, spec);
    assert.ok(c.fixed && c.simulated);
  }
});

test('ISO 8601 still reads, and shifts run from the real clock', () => {
  assert.is(hostClock('2030-01-01T00:00:10Z').now(), Date.parse('2030-01-01T00:00:10Z') / 1000);
  assert.is(hostClock('1970-01-01T00:00:59Z').now(), 59);
  const shifted = hostClock('+30d', () => 1000);
  assert.is(shifted.now(), 1000 + 30 * 86400);
  assert.not.ok(shifted.fixed);
});

test('a time before 1970, a negative number and words are refused with the fix', () => {
  assert.match(thrown(() => hostClock('1969-12-31T23:59:59Z')), /^E_TIME: time '1969-12-31T23:59:59Z' is before 1970/);
  assert.match(thrown(() => hostClock('-5')), /^E_TIME: cannot read time '-5': use ISO 8601/);
  assert.match(thrown(() => hostClock('yesterday')), /^E_TIME: cannot read time/);
  assert.match(thrown(() => hostClock('99999999999999999999')), /^E_TIME: .*too far/);
});

test('`token --at 59 show --json` and `--at 0` work through the CLI', async () => {
  const b = box();
  try {
    const seed = new Uint8Array(Buffer.from('12345678901234567890'));
    assert.is((await b.token(['--at', '0', 'enroll', '--secret', '-', '--name', 'rfc', '--digits', '8'],
      { input: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' })).code, 0);
    const r = await b.token(['show', '--json', '--at', '59']);
    assert.is(r.code, 0, r.stderr);
    const [s] = JSON.parse(r.stdout);
    assert.is(s.code, '94287082', 'RFC 6238 Appendix B, SHA-1, T=59');
    assert.is(s.code, totp(seed, 59, { digits: 8 }));
    assert.is(s.remaining, 1);
    const bad = await b.token(['show', '--at', '1969-07-20T20:17:00Z']);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /^token: time '1969-07-20T20:17:00Z' is before 1970/);
  } finally { b.done(); }
});

test.run();
