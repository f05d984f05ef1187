// The CLI's failures through the real dist/ process: a damaged or too-open store, usage errors
// that point at the help, Node's own errors worded as ours, and inputs that must not be echoed.
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Run } from '../../helpers.js';
import { box, parsed, type Box } from './util.js';

const B32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
function oneLine(r: Run, code: 1 | 2, re: RegExp) {
  assert.is(r.code, code, r.stderr + r.stdout);
  assert.is(r.stdout, '');
  assert.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr.trimEnd(), re);
}
let b: Box;

const store = suite('a damaged or exposed store');
store.before(async () => {
  b = box();
  assert.is((await b.token(['enroll', '--secret', '-', '--name', 'x'], { input: B32 })).code, 0);
});
store.after(() => b.done());

/** Every command that opens the store, each refused the same way, and the file left as it was. */
async function refusedEverywhere(re: RegExp) {
  const before = readFileSync(b.device), st = statSync(b.device);
  for (const args of [['show'], ['list'], ['code', 'x'], ['info'], ['time', 'sync'],
    ['enroll', '--secret', '-', '--name', 'y'], ['delete', 'x']]) {
    oneLine(await b.token(args, { input: B32 }), 1, re);
  }
  assert.ok(readFileSync(b.device).equals(before), 'the file is untouched');
  const after = statSync(b.device);
  assert.equal([after.mode, after.ino, after.mtimeMs], [st.mode, st.ino, st.mtimeMs]);
}

store('a truncated store: `device store is corrupt (checksum mismatch)`, exit 1, file untouched', async () => {
  const good = readFileSync(b.device);
  writeFileSync(b.device, good.subarray(0, good.length - 9));
  await refusedEverywhere(/^token: device store is corrupt \(checksum mismatch\): .*token\.dev is left as it is/);
  writeFileSync(b.device, good);
});

store('a store with one bit flipped in its body: the same, for every bit position tried', async () => {
  const good = readFileSync(b.device);
  for (const at of [good.length - 1, good.indexOf(Buffer.from('"credentials"')), 90]) {
    const bad = Buffer.from(good); bad[at]! ^= 0x04;
    writeFileSync(b.device, bad);
    oneLine(await b.token(['show']), 1, /^token: device store is corrupt \(checksum mismatch\)/);
    assert.ok(readFileSync(b.device).equals(bad));
  }
  writeFileSync(b.device, good);
  assert.is((await b.token(['show'])).code, 0, 'the restored store works again');
});

store('a group-readable store is refused with the chmod that fixes it, exit 1', async () => {
  chmodSync(b.device, 0o640);
  await refusedEverywhere(new RegExp('^token: device store .* is open to group or others \\(mode 0640\\): ' +
    `run chmod 600 ${b.device.replace(/[.]/g, '\\.')}$`));
  chmodSync(b.device, 0o604);
  oneLine(await b.token(['list']), 1, /mode 0604\): run chmod 600/);
  chmodSync(b.device, 0o600);
  assert.is((await b.token(['list'])).code, 0);
});

store('a --device under a directory that can never exist fails at once (Node\'s recursive mkdir loops there)',
  async () => {
  for (const args of [['init'], ['enroll', '--secret', '-', '--name', 'y']]) {
    const t0 = Date.now();
    oneLine(await b.token([...args, '--device', '/proc/nope/t.dev'], { input: B32 }), 1,
      new RegExp('^token: cannot mkdir \\/proc\\/nope: no such file or directory \\(ENOENT\\); ' +
        'check the path \\(--device, TOKEN_DEVICE, XDG_STATE_HOME\\) and its permissions$'));
    // A spinning mkdir never returns; a loaded machine is slow, not forever: the bound sits between.
    assert.ok(Date.now() - t0 < 30_000, `${args[0]} gave up in ${Date.now() - t0} ms`);
  }
});
store.run();

const usage = suite('usage errors point at the help');
usage.before(() => { b = box(); });
usage.after(() => b.done());

usage('unknown command, missing argument and unknown option end with where to look', async () => {
  oneLine(await b.token(['bogus']), 2, /^token: unknown command 'bogus' \(see token --help\)$/);
  oneLine(await b.token(['delete']), 2, /^token: missing required argument 'query' \(see token delete --help\)$/);
  oneLine(await b.token(['list', '--bogus']), 2, /^token: unknown option '--bogus' \(see token list --help\)$/);
  oneLine(await b.token(['--device', 'list', 'lst']), 2, /unknown command 'lst'.*\(see token --help\)$/);
  oneLine(await b.token(['shw']), 2, /Did you mean show\?.*\(see token --help\)$/);
});

usage('every subcommand\'s --help ends with a transcript of itself', async () => {
  const top = await b.token(['--help']);
  const commands = top.stdout.slice(top.stdout.indexOf('Commands:'), top.stdout.indexOf('Examples:'));
  const names = [...commands.matchAll(/^  (\w+)/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
  assert.ok(names.length >= 14, names.join(' '));
  for (const n of names) {
    const r = await b.token([n, '--help']);
    assert.is(r.code, 0, n);
    assert.match(r.stdout, new RegExp(`\\nExamples:\\n  \\$ .*token ${n}\\b`), n);
  }
});

usage('init --serial \'\' and a serial with a space are usage errors, and nothing is made', async () => {
  oneLine(await b.token(['init', '--serial', '']), 2, /--serial takes 1 to 32 printable ASCII/);
  oneLine(await b.token(['init', '--serial', 'a b']), 2, /--serial/);
  oneLine(await b.token(['list']), 1, /no token at/);
});

usage('Node\'s own errors become one line naming the path and a hint, exit 1', async () => {
  const file = join(b.dir, 'plain-file');
  writeFileSync(file, 'x');
  const r = await b.token(['--device', join(file, 'sub', 'token.dev'), 'init']);
  oneLine(r, 1, new RegExp('^token: cannot mkdir .*plain-file.*: (not a directory|file already exists) \\(E\\w+\\); ' +
    'check the path \\(--device, TOKEN_DEVICE, XDG_STATE_HOME\\) and its permissions$'));
  assert.not.match(r.stderr, /internal error|ENOTDIR:|EEXIST:/);
  mkdirSync(join(b.dir, 'ro'), { mode: 0o500 });
  if (process.getuid?.() !== 0) {
    oneLine(await b.token(['--device', join(b.dir, 'ro', 'token.dev'), 'init']), 1,
      /^token: cannot open .*ro\/token\.dev.*: permission denied \(EACCES\)/);
  }
});
usage.run();

const echo = suite('secrets in the wrong place are not echoed');
echo.before(async () => {
  b = box();
  assert.is((await b.token(['enroll', '--secret', '-', '--name', 'x'], { input: B32 })).code, 0);
});
echo.after(() => b.done());

echo('a bare secret given as SOURCE: none of it, not even its first characters, and the way to give it', async () => {
  for (const s of ['JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'jbswy3dpehpk3pxp', 'GEZDGNBVGY3TQOJQ====',
    '3132333435363738393031323334353637383930']) {
    const r = await b.token(['enroll', s]);
    oneLine(r, 1, new RegExp('^token: no such file \\(the argument is not shown here: if it is a secret, ' +
      'give it with --secret - or TOKEN_SECRET\\)'));
    assert.not.ok(r.stderr.includes(s.slice(0, 4)), `echoed part of ${s}`);
  }
  oneLine(await b.token(['enroll', join(b.dir, 'missing.png')]), 1, /no such file '.*missing\.png'/);
});

echo('apdu --json redacts the data of PUT and SET CODE, as --trace does', async () => {
  const seed = '3132333435363738393031323334353637383930';
  const put = `00010000 1E 7104 73656564 7316 2106 ${seed}`.replace(/ /g, '');
  const setCode = `00030000 1D 7311 21 ${'AB'.repeat(16)} 7408 ${'01'.repeat(8)}`.replace(/ /g, '');
  const r = await b.token(['apdu', '--json', put, '00A10000']);
  assert.is(r.code, 0, r.stderr);
  const j = parsed<{ command: string; sw: string }[]>(r);
  assert.equal(j.map((x) => x.command), ['000100001E <redacted>', '00A10000']);
  assert.is(j[0]!.sw, '9000');
  const s = await b.token(['apdu', '--json', setCode]);
  assert.is(parsed<{ command: string }[]>(s)[0]!.command, '000300001D <redacted>');
  for (const out of [r.stdout + r.stderr, s.stdout + s.stderr]) {
    assert.not.ok(out.includes(seed) || out.includes('ABABABAB'), 'no seed or key in the output');
  }
  const typo = await b.token(['apdu', put + 'F']);
  oneLine(typo, 2, /^token: APDU 1 is not hex/);
  assert.not.ok(typo.stderr.includes('3132333435'), 'a mistyped PUT is not echoed either');
});
echo.run();
