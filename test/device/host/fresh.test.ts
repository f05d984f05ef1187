// `token code --fresh` is for verifiers that refuse reuse (AWS): processes racing for a code
// get different steps, and no step is ever handed out twice. Real clock, real processes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { totp } from '../../../device/core/index.js';
import { has, oracle, run, TOKEN } from '../../helpers.js';
import { box, parsed } from './util.js';

const B32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', RAW = new Uint8Array(Buffer.from('12345678901234567890'));
const PERIOD = 4;
// Where two asks must land in one step, the step is long and starts as they do: a loaded machine
// gets all of it, and a few tries, before the case counts as missed.
const LONG = 10, TRIES = 5;
/** Sleeps until just past the next multiple of `period` seconds (the token reads the same host clock). */
const stepStart = (period: number) =>
  new Promise((r) => setTimeout(r, period * 1000 - (Date.now() % (period * 1000)) + 50));

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
        assert.match(r.stderr, /^(|waiting \d s for the next step \(this one was handed out already\)\n)$/,
          'no countdown without a terminal: one line at most');
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
    const [a, c] = await Promise.all([0, 1].map(() =>
      b.token(['code', 'x', '--json', '--at', '2030-01-01T00:00:05Z'])));
    assert.equal(parsed(a!), parsed(c!));
  } finally { b.done(); }
});

test('piped, a wait says so in ONE plain line on stderr (no countdown), and the code is a later step', async () => {
  const b = box();
  try {
    await b.token(['enroll', '--secret', '-', '--name', 'aws', '--period', String(LONG)], { input: B32 });
    let waited = 0, tries = 0;
    for (; tries < TRIES && !waited; tries++) {
      await stepStart(LONG);
      const first = parsed<{ step: number }>(await b.token(['code', 'aws', '--fresh', '--json']));
      const r = await b.token(['code', 'aws', '--fresh', '--json']);
      assert.is(r.code, 0, r.stderr);
      assert.ok(parsed<{ step: number }>(r).step > first.step);
      if (r.stderr) {
        assert.match(r.stderr, /^waiting ([1-9]|10) s for the next step \(this one was handed out already\)\n$/);
        waited++;
      }
    }
    process.stderr.write(`fresh: the second ask landed in the first's ${LONG} s step ` +
      `after ${tries} of ${TRIES} tries\n`);
    assert.is(waited, 1, `in ${tries} tries the second ask never landed in the first's ${LONG} s step`);
  } finally { b.done(); }
});

test('under a simulated clock --fresh says on stderr that the step is not recorded, and hands it out again',
  async () => {
  const b = box();
  try {
    await b.token(['enroll', '--secret', '-', '--name', 'aws'], { input: B32 });
    const rs = [await b.token(['code', 'aws', '--fresh', '--json', '--at', '2030-01-01T00:00:05Z']),
      await b.token(['code', 'aws', '--fresh', '--json'], { env: { TOTP_FOB_NOW: '2030-01-01T00:00:05Z' } })];
    for (const r of rs) {
      assert.is(r.code, 0, r.stderr);
      assert.is(r.stderr, 'note: the host time is simulated (--at / TOTP_FOB_NOW), so this step is not recorded ' +
        'as handed out and may be handed out again\n');
    }
    assert.equal(parsed(rs[0]!), parsed(rs[1]!));
  } finally { b.done(); }
});

test('on a terminal the wait for the next step is a countdown on stderr (via script(1))', async () => {
  if (!oracle('script', has('script', ['--version']),
    'script(1) from util-linux is not installed (needed for a pty)')) return;
  const b = box();
  try {
    await b.token(['enroll', '--secret', '-', '--name', 'aws', '--period', String(LONG)], { input: B32 });
    const one = `${process.execPath} ${TOKEN} code aws --fresh`;
    let r = { stdout: '' }, tries = 0;
    for (; tries < TRIES && !/already handed out/.test(r.stdout); tries++) {
      await stepStart(LONG);
      r = await run('script', ['-qec', `${one} 2>/dev/null; ${one} 2>&1 >/dev/null`, '/dev/null'], { env: b.env });
    }
    assert.match(r.stdout, /already handed out; waiting \d+ s for the next/, `no wait in ${tries} tries`);
  } finally { b.done(); }
});

test.run();
