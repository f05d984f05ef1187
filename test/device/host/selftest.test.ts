// `token selftest` must fail when a vector does not come out: in-process with altered vector
// files, and through the real CLI run from a copy of dist/ whose vectors/ has one digit changed.
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadVectors, runSelftest, type VectorFile } from '../../../device/host/selftest.js';
import { node, ROOT, tempDir } from '../../helpers.js';

/** The vector files with one expected value replaced. */
function altered(file: VectorFile, edit: (v: any) => void) {
  return (name: VectorFile) => {
    const v = loadVectors(name);
    if (name === file) edit(v);
    return v;
  };
}

test('every vector passes as shipped', () => {
  const rows = runSelftest();
  assert.ok(rows.length >= 50, `${rows.length} rows`);
  assert.equal(rows.filter((r) => !r.ok), []);
});

test('a wrong expected value fails exactly its row, showing what the core computed', () => {
  const rows = runSelftest(altered('rfc6238', (v) => { v.rows[0].SHA256 = '46119247'; }));
  const bad = rows.filter((r) => !r.ok);
  assert.equal(bad, [{ id: 'rfc6238/59/SHA256', expected: '46119247', got: '46119246', ok: false }]);
});

test('an RFC 4226 HOTP row and a FIPS 180 hash row fail the same way', () => {
  const rows = runSelftest(altered('rfc4226', (v) => { v.cases[0].hotp = '755225'; }));
  assert.equal(rows.filter((r) => !r.ok).map((r) => r.id), ['rfc4226/0/hotp']);
  const sha = runSelftest(altered('sha', (v) => { v.cases[0].SHA512 = '00' + v.cases[0].SHA512.slice(2); }));
  assert.is(sha.filter((r) => !r.ok).length, 1);
});

/** dist/device (and the lib/ it imports) with its own vectors/ beside it, as an installed package would be laid out. */
function installedCopy(edit?: (dir: string) => void) {
  const t = tempDir('selftest-');
  mkdirSync(join(t.dir, 'dist'));
  cpSync(join(ROOT, 'dist/device'), join(t.dir, 'dist/device'), { recursive: true });
  cpSync(join(ROOT, 'dist/lib'), join(t.dir, 'dist/lib'), { recursive: true });
  writeFileSync(join(t.dir, 'package.json'), JSON.stringify({ type: 'module' }));
  symlinkSync(join(ROOT, 'node_modules'), join(t.dir, 'node_modules'));
  cpSync(join(ROOT, 'vectors'), join(t.dir, 'vectors'), { recursive: true });
  edit?.(t.dir);
  return { cli: join(t.dir, 'dist/device/host/cli.cjs'), ...t };
}

test('the CLI exits 1 and marks the row FAIL when a vector file is wrong', async () => {
  const c = installedCopy((dir) => {
    const f = join(dir, 'vectors/rfc4226.json');
    writeFileSync(f, readFileSync(f, 'utf8').replace('"755224"', '"755225"'));
  });
  try {
    const r = await node(c.cli, ['selftest'], { env: { PATH: process.env.PATH, HOME: c.dir } });
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stdout, /^rfc4226\/0\/hotp\s+755225\s+755224\s+FAIL$/m);
    assert.match(r.stdout, /^(\d+) vectors: \d+ ok, 1 failed$/m);
    const j = await node(c.cli, ['selftest', '--json'], { env: { PATH: process.env.PATH, HOME: c.dir } });
    assert.is(j.code, 1);
    assert.is(JSON.parse(j.stdout).failed, 1);
  } finally { c.done(); }
});

test('without its vector files the CLI says so in one typed line, exit 1', async () => {
  const c = installedCopy((dir) => rmSync(join(dir, 'vectors'), { recursive: true }));
  try {
    const r = await node(c.cli, ['selftest'], { env: { PATH: process.env.PATH, HOME: c.dir } });
    assert.is(r.code, 1);
    assert.is(r.stdout, '');
    assert.is(r.stderr, 'token: the RFC vector files (vectors/*.json) are not installed next to the program: ' +
      'reinstall totp-fob\n');
  } finally { c.done(); }
});

test.run();
