// The enable retry under the REAL clock, where the token records every step it hands out: a
// `provision local-aws` whose TOTP clock runs 20 s ahead of the token (TOTP_FOB_NOW=+20s on the
// server only) refuses the two most recent codes once the token is 10 s or more into its step;
// the retry sends the first steps the token has not handed out, and AWS accepts them. On a
// terminal a countdown ticks on stderr while it waits; piped, stderr stays silent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROVISION, oracle, run } from '../helpers.js';
import { USER, box, expectExit, localAws, serialOf } from './lib.js';

const REAL = { TOTP_FOB_NOW: '' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the real clock is 10-20 s into a 30 s step, so the first pair is surely refused. */
async function intoRefusedPhase(): Promise<number> {
  for (;;) {
    const now = Date.now() / 1000, phase = now % 30;
    if (phase >= 10 && phase <= 20) return now;
    await sleep(((phase < 10 ? 10 : 40) - phase) * 1000);
  }
}

test('real clock, token 20 s behind AWS: refused, then the first unused pair after a countdown on a TTY ' +
  'only', async () => {
  if (!oracle('script', spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0,
    'util-linux script is missing')) return;
  const b = box();
  const srv = await localAws(b, [], 0, { TOTP_FOB_NOW: '+20s' });
  try {
    const env = { ...srv.awsEnv, ...REAL };
    const dev = { tty: join(b.dir, 'tty.dev'), pipe: join(b.dir, 'pipe.dev') };
    for (const [name, d] of Object.entries(dev)) {
      expectExit(await b.t(['init', '--device', d], 0, REAL), 0, `init ${name}`);
      expectExit(await b.p(['create', name, '--device', d], 0, env), 0, `create ${name}`);
    }
    const start = await intoRefusedPhase();
    const enable = (name: 'tty' | 'pipe') =>
      ['enable', '--user', USER, '--serial', serialOf(name), '--device', dev[name], '--json'];
    const out = join(b.dir, 'tty.json');
    const sh = `${process.execPath} ${PROVISION} ${enable('tty').join(' ')} > ${out}`;
    const [tty, piped] = await Promise.all([
      run('script', ['-qec', sh, '/dev/null'], { env: { ...b.env, ...env }, timeoutMs: 90_000 }),
      b.p(enable('pipe'), 0, env),
    ]);
    const T = Math.floor(start / 30);
    for (const [what, r, json] of [['tty', tty, readFileSync(out, 'utf8')], ['piped', piped, piped.stdout]] as const) {
      assert.is(r.code, 0, `${what}: ${r.stdout} ${r.stderr}`);
      const j = JSON.parse(json);
      assert.is(j.retried, true, `${what} retried`);
      assert.is(j.steps[1], j.steps[0] + 1);
      // The first try spent (T-1, T): the retry's steps come after T, not T itself again.
      assert.ok(j.steps[0] >= T + 1 && j.steps[0] <= T + 2, `${what}: steps ${j.steps} after first step ${T}`);
    }
    assert.is(piped.stderr, '', 'no countdown when stderr is not a terminal');
    const ticks = [...tty.stdout.matchAll(new RegExp(/AWS refused the two most recent codes; /.source +
      /waiting (\d+) s for the codes of steps (\d+) and (\d+)/.source, 'g'))];
    assert.ok(ticks.length >= 2, `countdown on the terminal: ${JSON.stringify(tty.stdout)}`);
    const secs = ticks.map((m) => Number(m[1]));
    assert.ok(secs[0]! > secs[secs.length - 1]!, `it counts down: ${secs.join(' ')}`);
    assert.ok(secs[0]! <= 60, `at most two steps to wait: ${secs[0]}`);
    assert.equal([Number(ticks[0]![2]), Number(ticks[0]![3])], JSON.parse(readFileSync(out, 'utf8')).steps,
      'it names the steps it sends');
    assert.match(tty.stdout, /\r\x1b\[K$/, 'the line is cleared at the end');
  } finally { await srv.stop(); b.done(); }
});

test.run();
