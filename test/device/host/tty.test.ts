// The terminal-only behaviours through a real pty (script(1)): `show --watch` redraws until
// Ctrl-C, a declined `reset` fails; and `time sync` on a fresh token needs no --force.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { has, oracle, run, TOKEN, typeWhen } from '../../helpers.js';
import { box, parsed } from './util.js';

const B32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const pty = () =>
  oracle('script', has('script', ['--version']), 'script(1) from util-linux is not installed (needed for a pty)');
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

test('show --watch on a terminal redraws (a fixed --at runs at 10×) and Ctrl-C ends it cleanly', async () => {
  if (!pty()) return;
  const b = box();
  try {
    assert.is((await b.token(['enroll', '--secret', '-', '--name', 'fast', '--period', '2'], { input: B32 })).code, 0);
    // Ctrl-C once six redraws are out (0.6 simulated steps of 2 s at 10×): counted, not timed.
    const cmd = `exec ${quote(process.execPath)} ${quote(TOKEN)} show --watch --at 2030-01-01T00:00:00Z`;
    const redraws = (out: string) => out.split('\x1b[H').length - 1;
    const r = await typeWhen(cmd, (out) => redraws(out) >= 7, '\x03', { env: b.env, timeoutMs: 120_000 });
    assert.ok(r.reached,
      `only ${redraws(r.stdout)} redraws before the 120 s limit: ${JSON.stringify(r.stdout.slice(-300))}`);
    assert.is(r.code, 0, r.stdout);
    const frames = r.stdout.split('\x1b[H').slice(2).map((f) => f.replace(/\x1b\[J[\s\S]*$/, ''));
    assert.ok(frames.length >= 6, `${frames.length} frames`);
    assert.ok(new Set(frames).size >= 3, 'the countdown and the code changed between frames');
    assert.ok(frames.every((f) => f.includes('fast') && f.includes('Ctrl-C to stop')));
    assert.match(r.stdout, /\x1b\[\?25h/, 'the cursor is shown again');
    assert.not.match(r.stdout, /token: /, 'no error');
  } finally { b.done(); }
});

test('show --watch when piped is a usage error (nothing to redraw)', async () => {
  const b = box();
  try {
    await b.token(['enroll', '--secret', '-', '--name', 'x'], { input: B32 });
    const r = await b.token(['show', '--watch']);
    assert.is(r.code, 2);
    assert.match(r.stderr, /^token: --watch redraws a terminal/);
  } finally { b.done(); }
});

test('a reset answered "no" on a terminal wipes nothing and exits 1', async () => {
  if (!pty()) return;
  const b = box();
  try {
    await b.token(['enroll', '--secret', '-', '--name', 'keep'], { input: B32 });
    const cmd = `${quote(process.execPath)} ${quote(TOKEN)} reset`;
    const r = await run('script', ['-qec', cmd, '/dev/null'], { env: b.env, input: 'n\r', timeoutMs: 20_000 });
    assert.match(r.stdout, /Wipe every credential and the access code of token \S+\? \[y\/N\]/);
    assert.match(r.stdout, /token: reset cancelled: nothing was wiped/);
    assert.is(r.code, 1, r.stdout);
    assert.is((await b.token(['list'])).stdout.split('\n')[0]!.split(/\s+/)[0], 'keep');
  } finally { b.done(); }
});

test('time sync right after init succeeds without --force (the token is not ahead by a second)', async () => {
  const b = box();
  try {
    assert.is((await b.token(['init'])).code, 0);
    for (let i = 0; i < 5; i++) {
      const r = await b.token(['time', 'sync', '--json']);
      assert.is(r.code, 0, r.stderr);
      const j = parsed<{ device: number; host: number; was: number }>(r);
      assert.ok(Math.abs(j.device - j.host) < 1, JSON.stringify(j));
    }
    // A real step back still needs --force: SET TIME (forward, unforced) an hour ahead first.
    const ahead = Buffer.alloc(8); ahead.writeBigUInt64BE(BigInt(Date.now() + 3600_000));
    assert.is((await b.token(['apdu', `8011000008${ahead.toString('hex')}`])).stdout, '9000\n');
    const back = await b.token(['time', 'sync']);
    assert.is(back.code, 1);
    assert.match(back.stderr,
      /^token: the token's clock is 3\d{3}\.\d s ahead of the host; setting it back needs --force\n$/);
    assert.is((await b.token(['time', 'sync', '--force'])).code, 0);
  } finally { b.done(); }
});

test.run();
