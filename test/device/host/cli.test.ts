// The `token` CLI wired end to end: the real dist/ process, its stdout, stderr and exit code.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { totp } from '../../../device/core/index.js';
import type { Run } from '../../helpers.js';
import { AWS_URI, qrPng } from './qrpng.js';
import { box, parsed, type Box } from './util.js';

const AT = '2030-01-01T00:00:10Z', T = Date.parse(AT) / 1000;
const B32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', RAW = new Uint8Array(Buffer.from('12345678901234567890'));
/** One line on stderr, nothing on stdout, the exit code asked for. */
function oneLineError(r: Run, code: 1 | 2, re?: RegExp) {
  assert.is(r.code, code, r.stderr + r.stdout);
  assert.is(r.stdout, '');
  assert.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^token: /);
  assert.not.match(r.stderr, /\s+at .+\(.*:\d+:\d+\)/, 'no stack trace');
  if (re) assert.match(r.stderr, re);
}
const noSecret = (r: Run) => {
  for (const s of [B32, B32.toLowerCase(), Buffer.from(RAW).toString('hex'), 'SUPERSECRET']) {
    assert.not.ok((r.stdout + r.stderr).includes(s), `secret ${s} leaked`);
  }
};

const usage = suite('usage and errors');
let b: Box;
usage.before(() => { b = box(); });
usage.after(() => b.done());

usage('--help shows transcripts and exits 0', async () => {
  const r = await b.token(['--help']);
  assert.is(r.code, 0);
  assert.match(r.stdout, /Examples:\n\s+\$ token enroll/);
  assert.match(r.stdout, /show \[options\] \[query\]/);
});
usage('no command prints help on stderr, exit 2', async () => {
  const r = await b.token([]);
  assert.is(r.code, 2); assert.is(r.stdout, ''); assert.match(r.stderr, /Usage: token/);
});
usage('an unknown command, option or extra argument is one line, exit 2', async () => {
  oneLineError(await b.token(['frobnicate']), 2, /unknown command/);
  oneLineError(await b.token(['list', '--bogus']), 2, /unknown option/);
  oneLineError(await b.token(['list', 'extra']), 2, /too many arguments/);
  oneLineError(await b.token(['delete']), 2, /missing required argument/);
});
usage('a bad --at is a usage error', async () => {
  oneLineError(await b.token(['--at', 'yesterday', 'time']), 2, /ISO 8601/);
});
usage('no token yet: one line saying how to make one, exit 1', async () => {
  oneLineError(await b.token(['list']), 1, /no token at .*token init/);
  oneLineError(await b.token(['show']), 1, /no token at/);
});
usage.run();

const life = suite('a token\'s life through the CLI');
life.before(() => { b = box(); });
life.after(() => b.done());

life('init --serial --drift-ppm, then info --json; a second init refuses', async () => {
  const r = await b.token(['init', '--serial', 'CLI1', '--drift-ppm', '20', '--at', AT]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /created token CLI1 at .*token\.dev/);
  const i = parsed<Record<string, unknown>>(await b.token(['info', '--json', '--at', AT]));
  assert.equal([i.serial, i.model, i.firmware, i.credentials, i.capacity, i.driftPpm, i.accessCode, i.retries],
    ['CLI1', 'FOB-1', '5.7.1', 0, 64, 20, false, 8]);
  assert.is(i.deviceTime, T);
  oneLineError(await b.token(['init']), 1, /exist/);
  oneLineError(await b.token(['init', '--device', join(b.dir, 'x.dev'), '--drift-ppm', 'lots']), 2, /drift-ppm/);
});

life('enroll a URI, a PNG, --secret from stdin and TOKEN_SECRET; secrets never echo', async () => {
  let r = await b.token(['enroll', 'otpauth://totp/GitHub:alice?secret=' + B32 + '&issuer=GitHub']);
  assert.is(r.code, 0, r.stderr); assert.is(r.stdout, 'enrolled GitHub:alice (verified)\n'); noSecret(r);
  assert.match(r.stderr,
    /^warning: a secret on the command line is visible to other users \(ps, shell history\)[^\n]*\n$/);
  const png = join(b.dir, 'aws.png');
  writeFileSync(png, await qrPng(AWS_URI, { scale: 4, margin: 4 }));
  r = await b.token(['enroll', png, '--touch']);
  assert.is(r.stdout, 'enrolled Amazon Web Services:alice@123456789012 (verified)\n', r.stderr);
  r = await b.token(['enroll', '--secret', '-', '--name', 'piped', '--digits', '8'], { input: B32 + '\n' });
  assert.is(r.stdout, 'enrolled piped (verified)\n', r.stderr); assert.is(r.stderr, ''); noSecret(r);
  r = await b.token(['enroll', '--name', 'env', '--period', '60', '--json'], { env: { TOKEN_SECRET: B32 } });
  assert.equal(parsed(r), [{ id: '60/env', name: 'env', issuer: null, type: 'totp', algorithm: 'SHA1', digits: 6,
    period: 60, touch: false, verified: true }]); noSecret(r);
  r = await b.token(['enroll', '-'], { input: 'otpauth://hotp/ctr?secret=GEZDGNBVGY3TQOJQ&counter=1' });
  assert.is(r.stdout, 'enrolled ctr (verified)\n'); assert.match(r.stderr, /^warning: ctr: the secret is 10 bytes/m);
});

life('a secret on argv works but warns that ps shows it', async () => {
  const r = await b.token(['enroll', '--secret', B32, '--name', 'argv']);
  assert.is(r.code, 0); assert.match(r.stderr, /warning: .*command line.*ps/); noSecret(r);
});

life('what the device cannot honour is refused in one line', async () => {
  oneLineError(await b.token(['enroll', '--secret', '-', '--name', 'n9', '--digits', '9'], { input: B32 }), 1,
    /9 digits/);
  oneLineError(await b.token(['enroll', '--secret', '-', '--name', 'p', '--period', '301'], { input: B32 }), 1,
    /301 s period/);
  oneLineError(await b.token(['enroll', '--secret', '-', '--name', 'x'.repeat(70)], { input: B32 }), 1, /at most 64/);
  oneLineError(await b.token(['enroll', '--secret', '-', '--name', 'argv'], { input: B32 }), 1, /already on the token/);
  oneLineError(await b.token(['enroll', '--secret', '-', '--name', 'bad'], { input: 'NOT*BASE32' }), 1, /base32/);
  oneLineError(await b.token(['enroll', 'otpauth://totp/x?secret=' + B32, '--digits', '8']), 2,
    /--digits goes with --secret/);
  oneLineError(await b.token(['enroll']), 2, /nothing to enroll/);
  oneLineError(await b.token(['enroll', join(b.dir, 'nope.png')]), 1, /no such file/);
});

life('list is metadata only, in ykman order; --json too', async () => {
  const r = await b.token(['list']);
  assert.is(r.code, 0);
  assert.equal(r.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s{2,}/)[0]),
    ['Amazon Web Services:alice@123456789012', 'argv', 'ctr', '60/env', 'GitHub:alice', 'piped']);
  assert.match(r.stdout, /Amazon Web Services:alice@123456789012\s+totp\s+SHA1\s+6 digits\s+30 s\s+touch/);
  const j = parsed<{ id: string; touch: boolean | null }[]>(await b.token(['list', '--json']));
  assert.is(j.length, 6); assert.ok(j.every((c) => !('code' in c) && !('secret' in c)));
});

life('show piped is ykman\'s aligned `name  code`; --json has exactly the documented fields', async () => {
  const r = await b.token(['show', '--at', AT]);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.is(lines.length, 6);
  assert.ok(lines.every((l) => l.length === lines[0]!.length), 'right-aligned codes');
  const dev = T + (T - T) * 20e-6;
  assert.match(r.stdout, new RegExp(`^GitHub:alice +${totp(RAW, dev)}$`, 'm'));
  assert.match(r.stdout, /^ctr +\[HOTP Account\]$/m);
  const j = parsed<Record<string, unknown>[]>(await b.token(['show', 'github', '--json', '--at', AT]));
  assert.equal(j, [{ name: 'alice', issuer: 'GitHub', type: 'totp', code: totp(RAW, T), next: totp(RAW, T + 30),
    step: Math.floor(T / 30), remaining: 20, period: 30, digits: 6, algorithm: 'SHA1' }]);
  oneLineError(await b.token(['show', 'nobody']), 1, /no credential matches 'nobody'/);
  oneLineError(await b.token(['show', '--watch']), 2, /--watch/);
});

life('code prints the bare code; several matches or none list the candidates, exit 1', async () => {
  const r = await b.token(['code', 'GitHub', '--at', AT]);
  assert.is(r.stdout, totp(RAW, T) + '\n'); assert.is(r.stderr, '');
  oneLineError(await b.token(['code', 'a']), 1, /matches \d+ credentials: .*GitHub:alice/);
  oneLineError(await b.token(['code', 'zzz']), 1, /no credential matches 'zzz' \(have: /);
  assert.equal(parsed(await b.token(['code', 'piped', '--json', '--at', AT])),
    { id: 'piped', code: totp(RAW, T, { digits: 8 }), step: Math.floor(T / 30) });
});

life('rename and delete by query', async () => {
  let r = await b.token(['rename', 'argv', 'Work:argv2']);
  assert.is(r.stdout, 'renamed argv to Work:argv2\n', r.stderr);
  r = await b.token(['rename', '60/env', 'envy']);
  assert.is(r.stdout, 'renamed 60/env to 60/envy\n', r.stderr);
  r = await b.token(['delete', 'argv2']);
  assert.is(r.stdout, 'deleted Work:argv2\n');
  oneLineError(await b.token(['delete', 'argv2']), 1, /no credential matches/);
});

life('time shows device against host; sync refuses to go back without --force', async () => {
  const later = '2031-01-01T00:00:10Z';
  const j = parsed<{ device: number; host: number; offset: number; steps: number }>(
    await b.token(['time', '--json', '--at', later]));
  assert.ok(Math.abs(j.offset - 365 * 86400 * 20e-6) < 0.01, String(j.offset));
  const r = await b.token(['time', '--at', later]);
  assert.match(r.stdout, /^offset +\+630\.72\d s \(\+21\.02 steps of 30 s\)$/m);
  oneLineError(await b.token(['time', 'sync', '--at', later]), 1, /ahead of the host.*--force/);
  assert.is((await b.token(['time', 'sync', '--force', '--at', later])).code, 0);
  oneLineError(await b.token(['time', 'forward']), 2, /unknown time action/);
});

life('press opens the touch window; a touch credential then answers code', async () => {
  assert.is((await b.token(['press'])).code, 0);
  const r = await b.token(['code', 'Amazon']);
  assert.is(r.code, 0, r.stderr); assert.match(r.stdout, /^\d{6}\n$/);
  oneLineError(await b.token(['press', 'nobody']), 1, /no credential matches/);
});

life('apdu sends SELECT first, prints data‖SW; --raw does not; --trace redacts PUT', async () => {
  let r = await b.token(['apdu', '00A10000', '80 12 00 00']);
  assert.is(r.code, 0, r.stderr);
  const [list, clock] = r.stdout.trim().split('\n');
  assert.match(list!, /^72.*9000$/); assert.match(clock!, /^[0-9A-F]{16}9000$/);
  r = await b.token(['apdu', '--raw', '--json', '00B00000']);
  assert.equal(parsed(r), [{ command: '00B00000', response: '', sw: '6D00' }]);
  oneLineError(await b.token(['apdu', 'zz']), 2, /APDU 1 is not hex/);
  r = await b.token(['--trace', 'enroll', '--secret', '-', '--name', 'traced'], { input: 'SUPERSECRETAAAAA' });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /^> 00 01 00 00 [0-9A-F]{2} <redacted>$/m);
  assert.match(r.stderr, /^< 90 00$/m);
  noSecret(r);
  assert.not.ok(r.stderr.replace(/ /g, '')
    .includes(Buffer.from('SUPERSECRETAAAAA', 'base64').toString('hex').toUpperCase()));
});

life('access set, locked without the code, change, clear; the code never echoes', async () => {
  let r = await b.token(['access', 'set'], { env: { TOKEN_ACCESS_CODE: 'open sesame' } });
  assert.is(r.code, 0, r.stderr); assert.not.ok((r.stdout + r.stderr).includes('sesame'));
  oneLineError(await b.token(['list']), 1, /locked by an access code.*TOKEN_ACCESS_CODE/);
  oneLineError(await b.token(['list'], { env: { TOKEN_ACCESS_CODE: 'wrong' } }), 1, /wrong access code: 7 tries left/);
  assert.match((await b.token(['info'])).stdout, /access code +set \(7 tries left\)/);
  r = await b.token(['access', 'change'],
    { env: { TOKEN_ACCESS_CODE: 'open sesame', TOKEN_NEW_ACCESS_CODE: 'new one' } });
  assert.is(r.code, 0, r.stderr);
  assert.is((await b.token(['list'], { env: { TOKEN_ACCESS_CODE: 'new one' } })).code, 0);
  oneLineError(await b.token(['access', 'set'], { env: { TOKEN_ACCESS_CODE: 'another' } }), 1, /already set/);
  assert.match((await b.token(['info'])).stdout, /access code +set \(8 tries left\)/, 'looking spent no try');
  assert.is((await b.token(['access', 'clear'], { env: { TOKEN_ACCESS_CODE: 'new one' } })).code, 0);
  assert.is((await b.token(['list'])).code, 0);
  oneLineError(await b.token(['access', 'open']), 2, /unknown access action/);
});

life('reset needs --yes without a terminal, and wipes', async () => {
  oneLineError(await b.token(['reset']), 2, /--yes/);
  const r = await b.token(['reset', '--yes']);
  assert.match(r.stdout, /reset/);
  assert.equal(parsed(await b.token(['list', '--json'])), []);
});
life.run();

const last = suite('the last access-code try');
last.before(() => { b = box(); });
last.after(() => b.done());
last('without a terminal the last try is never spent, even on the right code; reset still works', async () => {
  await b.token(['enroll', '--secret', '-', '--name', 'x'], { input: B32 });
  assert.is((await b.token(['access', 'set'], { env: { TOKEN_ACCESS_CODE: 'right-code' } })).code, 0);
  for (let i = 7; i >= 1; i--) {
    oneLineError(await b.token(['code', 'x'], { env: { TOKEN_ACCESS_CODE: 'wrong' } }), 1,
      new RegExp(`${i} tr(y|ies) left`));
  }
  oneLineError(await b.token(['code', 'x'], { env: { TOKEN_ACCESS_CODE: 'wrong' } }), 1,
    /one access-code try left.*terminal/);
  oneLineError(await b.token(['show'], { env: { TOKEN_ACCESS_CODE: 'right-code' } }), 1, /one access-code try left/);
  assert.match((await b.token(['info'])).stdout, /access code +set \(1 try left\)/);
  assert.is((await b.token(['reset', '--yes'])).code, 0, 'RESET needs no code');
  assert.equal(parsed(await b.token(['list', '--json'])), []);
});
last.run();

const tools = suite('selftest');
tools.before(() => { b = box(); });
tools.after(() => b.done());
tools('selftest prints one line per vector and a summary, exit 0; --json for machines', async () => {
  const r = await b.token(['selftest']);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines.at(-1)!, /^(\d+) vectors: \1 ok, 0 failed$/);
  assert.ok(lines.slice(0, -1).every((l) => /^\S+  .+  ok$/.test(l)));
  assert.ok(lines.some((l) => l.includes('755224')), 'RFC 4226 counter 0');
  const j = parsed<{ vectors: { ok: boolean }[]; failed: number }>(await b.token(['selftest', '--json']));
  assert.is(j.failed, 0); assert.ok(j.vectors.length >= 50);
});
tools.run();
