// Drawing the display: seven segments and a countdown on a terminal, ykman's table when piped,
// the documented JSON, colour only where wanted; and which argv takes the fast road.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fastPath } from '../../../device/host/context.js';
import {
  type Frame, shown, sortFrames, bar, lcd, segments, styleFor, plainCodes, table,
} from '../../../device/host/terminal.js';
import { has, oracle } from '../../helpers.js';
import { box } from './util.js';

const f = (o: Partial<Frame>): Frame => ({
  id: 'GitHub:alice', type: 'totp', code: '012345', next: '678901', step: 60000000, remaining: 12, period: 30,
  digits: 6, algorithm: 'SHA1', hotp: false, ...o,
});
const ESC = /\x1b\[/;

test('seven segments: every digit has its own shape, three rows, groups of three', () => {
  const rows = segments('0123456789');
  assert.is(rows.length, 3);
  const cells = (r: string) => r.split(/ {1,3}/);
  assert.is(segments('8')[1], '┣━┫');
  assert.is(segments('1').join('\n'), '  ╻\n  ┃\n  ╹');
  const shapes = new Set([...'0123456789'].map((d) => segments(d).join('|')));
  assert.is(shapes.size, 10);
  const top = (ds: string) => [...ds].map((d) => segments(d)[0]).join(' ');
  assert.is(segments('123456')[0], top('123') + '   ' + top('456'));
  assert.is(segments('12345678')[0], top('1234') + '   ' + top('5678'));
  assert.ok(cells(rows[0]!).length >= 2);
});

test('the countdown bar is proportional to the seconds left', () => {
  assert.is(bar(30, 30, 10), '██████████');
  assert.is(bar(15, 30, 10), '█████░░░░░');
  assert.is(bar(0, 30, 10), '░░░░░░░░░░');
});

test('NO_COLOR (non-empty) and a pipe mean no escape codes; a terminal gets colour', () => {
  assert.not.ok(styleFor({ isTTY: true }, { NO_COLOR: '1' }).color);
  assert.ok(styleFor({ isTTY: true }, { NO_COLOR: '' }).color, 'no-color.org: only a non-empty value counts');
  assert.not.ok(styleFor({ isTTY: false }, {}).color);
  assert.not.ok(styleFor({ isTTY: true }, { TERM: 'dumb' }).color);
  assert.not.match(lcd([f({})], { color: false }), ESC);
  assert.match(lcd([f({})], { color: true }), ESC);
  assert.match(lcd([f({})], { color: false }), /GitHub:alice\n.*\n.*\n.*\n█+░+  12s  next 678901/);
});

test('HOTP without a code shows [HOTP Account] on the LCD and in the table', () => {
  const h = f({ id: 'dave', type: 'hotp', hotp: true, code: null, next: null, remaining: 0 });
  assert.match(lcd([h], { color: false }), /dave\n\[HOTP Account\]/);
  assert.is(plainCodes([h]), 'dave  [HOTP Account]\n');
});

test("the piped table is ykman's '{:<N}  {:>M}'", () => {
  assert.is(table([['Touchy:carol', '[Requires Touch]'], ['60/Slow:bob', '123456']]),
    'Touchy:carol  [Requires Touch]\n60/Slow:bob             123456\n');
  assert.is(plainCodes([f({}), f({ id: 'b', code: '12345678' })]), 'GitHub:alice    012345\nb             12345678\n');
});

test('--json rows carry exactly name, issuer, type, code, next, step, remaining, period, digits, algorithm', () => {
  assert.equal(shown(f({ remaining: 11.2 })), { name: 'alice', issuer: 'GitHub', type: 'totp', code: '012345',
    next: '678901', step: 60000000, remaining: 12, period: 30, digits: 6, algorithm: 'SHA1' });
  assert.equal(shown(f({ id: 'dave', type: 'hotp', hotp: true, code: '111111', next: null, step: 7, remaining: 0 })),
    { name: 'dave', issuer: null, type: 'hotp', code: '111111', next: null, step: null, remaining: null, period: null,
      digits: 6, algorithm: 'SHA1' });
});

test("frames are sorted as ykman sorts: (issuer or name), then name, ignoring case", () => {
  assert.equal(sortFrames([f({ id: 'zed' }), f({ id: 'GitHub:b' }), f({ id: 'github:a' }), f({ id: '60/Amazon:x' })])
    .map((x) => x.id),
    ['60/Amazon:x', 'github:a', 'GitHub:b', 'zed']);
});

test('the fast road takes only `show` and `code` shapes; everything else goes to commander', () => {
  assert.equal(fastPath(['show']), { cmd: 'show', g: {}, o: {} });
  assert.equal(fastPath(['--device', '/d', 'show', 'git', '--json']),
    { cmd: 'show', g: { device: '/d' }, o: { json: true }, query: 'git' });
  assert.equal(fastPath(['show', '--at=2030-01-01T00:00:00Z', '--trace', '--watch']),
    { cmd: 'show', g: { at: '2030-01-01T00:00:00Z', trace: true }, o: { watch: true } });
  assert.equal(fastPath(['--at', '-2h', 'show']), { cmd: 'show', g: { at: '-2h' }, o: {} });
  assert.equal(fastPath(['code', 'aws', '--fresh']), { cmd: 'code', g: {}, o: { fresh: true }, query: 'aws' });
  assert.equal(fastPath(['code', '--json']), { cmd: 'code', g: {}, o: { json: true } });
  for (const a of [[], ['list'], ['show', '--help'], ['show', 'a', 'b'], ['--json', 'show'], ['show', '--bogus'],
    ['show', '--device'], ['code', '--watch', 'x'], ['show', '--fresh'], ['code', 'a', 'b'], ['selftest']]) {
    assert.is(fastPath(a), null, a.join(' '));
  }
});

test('on a terminal `token show` draws the LCD in colour; NO_COLOR turns colour off (via script(1))', async () => {
  if (!oracle('script', has('script', ['--version']),
    'script(1) from util-linux is not installed (needed for a pty)')) return;
  const b = box();
  try {
    await b.token(['enroll', '--secret', '-', '--name', 'tty'], { input: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' });
    const cmd = `${process.execPath} ${JSON.stringify((await import('../../helpers.js')).TOKEN)} ` +
      'show --at 2030-01-01T00:00:10Z';
    const env = { ...b.env };
    delete env.NO_COLOR;
    const { run } = await import('../../helpers.js');
    const colour = await run('script', ['-qec', cmd, '/dev/null'], { env: { ...env, TERM: 'xterm' } });
    assert.match(colour.stdout, /\x1b\[32m/);
    assert.match(colour.stdout, /┏|╺|╻/);
    const plain = await run('script', ['-qec', cmd, '/dev/null'], { env: { ...env, TERM: 'xterm', NO_COLOR: '1' } });
    assert.not.match(plain.stdout, /\x1b\[3\dm|\x1b\[1m/);
    assert.match(plain.stdout, /tty\r?\n.*[┏╺╻]/);
    // --watch redraws in place every second until Ctrl-C (typed once three redraws are out), then leaves with exit 0.
    const { typeWhen } = await import('../../helpers.js');
    const redraws = (out: string) => (out.match(/\x1b\[H/g) ?? []).length;
    const watch = await typeWhen(`exec ${cmd.replace(' show ', ' show --watch ')}`, (out) => redraws(out) >= 3, '\x03',
      { env: { ...env, TERM: 'xterm', NO_COLOR: '1' }, timeoutMs: 120_000 });
    assert.ok(watch.reached, `only ${redraws(watch.stdout)} redraws before the 120 s limit`);
    assert.match(watch.stdout, /Ctrl-C to stop/);
    assert.is(watch.code, 0, watch.stdout);
  } finally { b.done(); }
});

test.run();
