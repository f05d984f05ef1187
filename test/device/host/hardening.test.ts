// Inputs an attacker (or a slip of the hand) hands the host, through the real dist/ processes:
// endless files, an empty --at, and secrets where argv or an error message would expose them.
import { spawn, spawnSync } from 'node:child_process';
import { openSync, closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { node, PROVISION, type Run } from '../../helpers.js';
import { box, type Box } from './util.js';

const B32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const URI = `otpauth://totp/Example:alice?secret=${B32}&issuer=Example`;
function oneLine(r: Run, code: 1 | 2, re: RegExp) {
  assert.is(r.code, code, r.stderr + r.stdout);
  assert.is(r.stdout, '');
  assert.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr.trimEnd(), re);
}
let b: Box;

/** A FIFO with a writer that never stops (a `yes`), until `stop()`. */
function endlessFifo(path: string): { stop(): void } {
  assert.is(spawnSync('mkfifo', [path]).status, 0, 'mkfifo');
  const w = spawn('sh', ['-c', `exec yes 0123456789abcdef > '${path}'`], { stdio: 'ignore' });
  return { stop: () => { w.kill('SIGKILL'); } };
}

const reads = suite('endless inputs are read up to a limit, whatever the file type');
reads.before(() => { b = box(); });
reads.after(() => b.done());

reads('token enroll /dev/zero stops at 32 MB with one line naming the file and the limit', async () => {
  oneLine(await b.token(['enroll', '/dev/zero'], { timeoutMs: 30_000 }), 1,
    /^token: '\/dev\/zero' is over the 32 MB input limit/);
});

reads('token enroll FIFO, fed without end, stops the same way', async () => {
  const fifo = join(b.dir, 'fifo');
  const w = endlessFifo(fifo);
  try {
    oneLine(await b.token(['enroll', fifo], { timeoutMs: 30_000 }), 1,
      /^token: '.*fifo' is over the 32 MB input limit/);
  } finally { w.stop(); }
});

reads('stdin: enroll - and --secret - stop at 32 MB too', async () => {
  const big = Buffer.alloc((32 << 20) + 1, 0x30);
  oneLine(await b.token(['enroll', '-'], { input: big, timeoutMs: 30_000 }), 1,
    /^token: stdin is over the 32 MB input limit/);
  oneLine(await b.token(['enroll', '--secret', '-', '--name', 'x'], { input: big, timeoutMs: 30_000 }), 1,
    /^token: stdin is over the 32 MB input limit/);
});

reads('provision create --from /dev/zero and --from FIFO stop at the list limit, before AWS is asked', async () => {
  const env = { ...b.env, AWS_CONFIG_FILE: join(b.dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(b.dir, 'none') };
  const p = (args: string[]) => node(PROVISION, args, { env, timeoutMs: 30_000 });
  oneLine(await p(['create', '--from', '/dev/zero']), 1, /^provision: --from \/dev\/zero is over the 1 MB input limit/);
  const fifo = join(b.dir, 'names');
  const w = endlessFifo(fifo);
  try {
    oneLine(await p(['create', '--from', fifo]), 1, /^provision: --from .*names is over the 1 MB input limit/);
  } finally { w.stop(); }
});

reads('a FIFO that ends is read whole: the limit stops endless input, not streams', async () => {
  const fifo = join(b.dir, 'once');
  assert.is(spawnSync('mkfifo', [fifo]).status, 0);
  const enrolling = b.token(['enroll', fifo, '--json']);
  const fd = openSync(fifo, 'w'); writeSync(fd, URI + '\n'); closeSync(fd);
  const r = await enrolling;
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /"id":"Example:alice"/);
});
reads.run();

const at = suite('an empty --at is a usage error; an empty TOTP_FOB_NOW is unset');
at.before(async () => {
  b = box();
  assert.is((await b.token(['enroll', '--secret', '-', '--name', 'x'], { input: B32 })).code, 0);
});
at.after(() => b.done());

at('--at \'\' and --at= exit 2 on every road (commander, and the show/code fast path)', async () => {
  for (const args of [['--at', '', 'code', 'x'], ['code', 'x', '--at='], ['--at', '', 'show'], ['--at', ' ', 'list'],
    ['--at=', 'info']]) {
    oneLine(await b.token(args), 2, /^token: --at needs a time: ISO 8601 .*leave it out for the real clock$/);
  }
});

at('TOTP_FOB_NOW=\'\' is the real clock, as an unset variable is', async () => {
  const real = await b.token(['code', 'x', '--json'], { env: { TOTP_FOB_NOW: '' } });
  assert.is(real.code, 0, real.stderr);
  const t = (JSON.parse(real.stdout) as { step: number }).step;
  assert.ok(Math.abs(t - Math.floor(Date.now() / 30_000)) <= 2, `step ${t} is now`);
});
at.run();

const argv = suite('secrets on the command line');
argv.before(() => { b = box(); });
argv.after(() => b.done());

argv('an otpauth URI on argv is warned of as --secret X is; the same URI on stdin is not', async () => {
  const r = await b.token(['enroll', URI]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp('^warning: a secret on the command line is visible to other users ' +
    '\\(ps, shell history\\); pipe the URI in with `token enroll -`$', 'm'));
  assert.not.ok(r.stderr.includes(B32.slice(0, 4)));
  const flag = await b.token(['enroll', '--secret', B32, '--name', 'flag']);
  assert.match(flag.stderr, /^warning: a secret on the command line is visible to other users \(ps, shell history\)/m);
  const piped = await b.token(['enroll', '-'], { input: URI.replace('alice', 'bob') });
  assert.is(piped.code, 0, piped.stderr);
  assert.not.match(piped.stderr, /command line/);
});

argv('a secret pasted where a file name goes is not echoed, not a character of it', async () => {
  // Each with the part that must not appear: the secret's first characters.
  const pasted: [string, string][] = [
    ['JBSW Y3DP EHPK 3PXP', 'JBSW'], ['jbsw-y3dp-ehpk-3pxp', 'jbsw'], [`otpauth//totp/a?secret=${B32}`, 'GEZD'],
    [`totp/Example:alice?secret=${B32}`, 'GEZD'], ['deadbeefcafebabe0011', 'dead'],
    [`otpauth;//totp/x?secret=${B32}`, 'GEZD'],
  ];
  for (const [s, part] of pasted) {
    const r = await b.token(['enroll', s]);
    oneLine(r, 1, new RegExp('^token: no such file \\(the argument is not shown here: if it is a secret, ' +
      'give it with --secret - or TOKEN_SECRET\\); SOURCE is'));
    assert.not.ok(r.stderr.includes(part), `echoed '${part}' of ${s}`);
  }
  // A path is still named, so a typo can be seen and fixed.
  oneLine(await b.token(['enroll', join(b.dir, 'codes', 'aws.png')]), 1,
    /^token: no such file '.*codes\/aws\.png'; SOURCE is/);
});
argv.run();
