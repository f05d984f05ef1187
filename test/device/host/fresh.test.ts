// `token code --fresh` is for verifiers that refuse reuse (AWS): processes racing for a code
// get different steps, and no step is ever handed out twice. Real clock, real processes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { totp } from '../../../device/core/index.js';
import { has, oracle, run, TOKEN } from '../../helpers.js';
import { box, parsed } from './util.js';

const B32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', RAW = new Uint8Array(Buffer.from('12345678901234567890'));
const PERIOD = 4;

test('two processes asking at once get different steps, both right, and the next asker gets a later one', async () => {
  const b = box();
  try {
    const e = await b.token(['enroll', '--secret', '-', '--name', 'aws', '--period', String(PERIOD)], { input: B32 });
    assert.is(e.code, 0, e.stderr);
    const seen: number[] = [];
    for (let round = 0; round < 2; round++) {
      const rs = await Promise.all([0, 1].map(() => b.token(['code', 'aws', '--fresh', '--json'])));
      for (const r of rs) {
        assert.is(r.code, 0, r.stderr);
        assert.is(r.stderr, '', 'no countdown without a terminal');
        const c = parsed<{ code: string; step: number }>(r);
        assert.is(c.code, totp(RAW, c.step * PERIOD, { period: PERIOD }));
        seen.push(c.step);
      }
      assert.is.not(seen.at(-1), seen.at(-2), `round ${round}: both got step ${seen.at(-1)}`);
    }
    assert.is(new Set(seen).size, seen.length, `a step was reused: ${seen}`);
    const last = parsed<{ step: number }>(await b.token(['code', 'aws', '--fresh', '--json']));
    assert.ok(last.step > Math.max(...seen), `${last.step} after ${seen}`);
  } finally { b.done(); }
});

test('without --fresh, code does not spend the step: plain codes repeat within a step', async () => {
  const b = box();
  try {
    await b.token(['enroll', '--secret', '-', '--name', 'x'], { input: B32 });
    const [a, c] = await Promise.all([0, 1].map(() => b.token(['code', 'x', '--json', '--at', '2030-01-01T00:00:05Z'])));
    assert.equal(parsed(a!), parsed(c!));
  } finally { b.done(); }
});

test('on a terminal the wait for the next step is a countdown on stderr (via script(1))', async () => {
  if (!oracle('script', has('script', ['--version']), 'script(1) from util-linux is not installed (needed for a pty)')) return;
  const b = box();
  try {
    await b.token(['enroll', '--secret', '-', '--name', 'aws', '--period', String(PERIOD)], { input: B32 });
    const one = `${process.execPath} ${TOKEN} code aws --fresh`;
    const r = await run('script', ['-qec', `${one} 2>/dev/null; ${one} 2>&1 >/dev/null`, '/dev/null'], { env: b.env });
    assert.match(r.stdout, /already handed out; waiting \d s for the next/);
  } finally { b.done(); }
});

test.run();
