// The house's rules, read from the files on disk: lines wrap at 120, a room stays under 300 lines, the arrows
// between folders point one way (provision -> device, host -> firmware -> core, lib/ below both), and nothing in
// the code points outside the repository. Each rule names every offender with its file and line.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { ROOT } from './helpers.js';

const FOLDERS = ['device', 'provision', 'lib', 'bench', 'test'];
const SKIP = new Set(['node_modules', 'dist', 'test/fixtures']);
const CODE = /\.(ts|mjs)$/;

/** Every file under `folders`, as a path relative to the root with `/` separators. */
function walk(folders: string[]): string[] {
  const out: string[] = [];
  const visit = (rel: string) => {
    for (const e of readdirSync(join(ROOT, rel), { withFileTypes: true })) {
      const p = posix.join(rel, e.name);
      if (SKIP.has(p) || SKIP.has(e.name)) continue;
      if (e.isDirectory()) visit(p);
      else if (e.isFile()) out.push(p);
    }
  };
  for (const f of folders) visit(f);
  return out.sort();
}

const text = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const linesOf = (s: string) => (s.endsWith('\n') ? s.slice(0, -1) : s).split('\n');
const under = (file: string, folder: string) => file === folder || file.startsWith(`${folder}/`);
const code = walk(FOLDERS).filter((f) => CODE.test(f));
const sources = code.filter((f) => ['device', 'provision', 'lib'].some((d) => under(f, d)));

interface Arrow { from: string; line: number; spec: string; to: string | null }

// A static import's clause: `type`, a default name, `* as ns`, or `{ names }` (which may span lines).
const CLAUSE = String.raw`(?:type\s+)?(?:[\w$]+\s*,\s*)?(?:\*\s*(?:as\s+[\w$]+)?|\{[^}]*\}|[\w$]+)`;
const STATIC = new RegExp(String.raw`^[ \t]*(?:import|export)\s+${CLAUSE}\s*from\s*(['"])([^'"\n]+)\1` +
  String.raw`|^[ \t]*import\s*(['"])([^'"\n]+)\3`, 'gm');

/**
 * The static imports and re-exports of a file (`import ... from`, `export ... from`, `import 'x'`; never the
 * dynamic `import()`). `to` is a relative specifier resolved against the file's folder, or null for a package or
 * builtin.
 */
function arrowsOf(file: string, source: string): Arrow[] {
  const out: Arrow[] = [];
  for (const m of source.matchAll(STATIC)) {
    const spec = m[2] ?? m[4]!;
    const line = source.slice(0, m.index! + m[0].length).split('\n').length;
    const to = spec.startsWith('.')
      ? relative(ROOT, join(ROOT, dirname(file), spec)).split(sep).join('/')
      : null;
    out.push({ from: file, line, spec, to });
  }
  return out;
}

const arrows = sources.concat(code.filter((f) => under(f, 'bench'))).flatMap((f) => arrowsOf(f, text(f)));
const show = (bad: Arrow[]) => bad.map((a) => `${a.from}:${a.line} imports '${a.spec}'`).join('\n');
const arrowsFrom = (folder: string) => arrows.filter((a) => under(a.from, folder));
const into = (a: Arrow, ...folders: string[]) => a.to !== null && folders.some((f) => under(a.to!, f));

const H = suite('the house');

H('the walk sees the code of every folder, and test/fixtures is not code', () => {
  for (const f of FOLDERS) assert.ok(code.some((c) => under(c, f)), `no .ts or .mjs under ${f}/`);
  assert.not.ok(code.some((c) => under(c, 'test/fixtures')), 'test/fixtures is data, not code');
  assert.ok(code.includes('test/house.test.ts'));
});

H('every .ts and .mjs line is at most 120 characters', () => {
  const long: string[] = [];
  for (const f of code) {
    linesOf(text(f)).forEach((l, i) => {
      const n = [...l].length;
      if (n > 120) long.push(`${f}:${i + 1} (${n} characters)`);
    });
  }
  assert.ok(long.length === 0, `${long.length} lines over 120 characters:\n${long.join('\n')}`);
});

H('no source file under device/, provision/ or lib/ runs over 300 lines (the generated sha1-hotp.ts aside)', () => {
  const big = sources.filter((f) => f !== 'device/core/sha1-hotp.ts')
    .map((f) => [f, linesOf(text(f)).length] as const)
    .filter(([, n]) => n > 300)
    .map(([f, n]) => `${f}: ${n} lines`);
  assert.ok(big.length === 0, `${big.length} files over 300 lines:\n${big.join('\n')}`);
});

H('the import reader sees static imports and re-exports (one or many lines, type-only, bare), not import()', () => {
  const src = [
    "import { a,", "  b } from '../x.js';", "import type { T } from './t.js';", "import * as Y from 'node:fs';",
    "import d, { e } from './d.js';", "export * from '../../lib/files.js';", "export { f } from './f.js';",
    "import './side.js';", "const m = await import('../provision/local/server.js');", "// import z from './z.js';",
  ].join('\n');
  assert.equal(arrowsOf('device/host/x.ts', src).map((a) => [a.line, a.spec, a.to]), [
    [2, '../x.js', 'device/x.js'], [3, './t.js', 'device/host/t.js'], [4, 'node:fs', null],
    [5, './d.js', 'device/host/d.js'], [6, '../../lib/files.js', 'lib/files.js'], [7, './f.js', 'device/host/f.js'],
    [8, './side.js', 'device/host/side.js'],
  ]);
  assert.ok(arrowsFrom('device/core').length > 0 && arrowsFrom('provision/local').length > 0, 'the tree has arrows');
});

H('device/ never imports provision/, bench/ or test/', () => {
  const bad = arrowsFrom('device').filter((a) => into(a, 'provision', 'bench', 'test'));
  assert.ok(bad.length === 0, show(bad));
});

H('device/core imports only device/core, and no builtin: it is pure', () => {
  const bad = arrowsFrom('device/core').filter((a) => a.to === null || !under(a.to, 'device/core'));
  assert.ok(bad.length === 0, show(bad));
});

H('device/firmware never imports device/host', () => {
  const bad = arrowsFrom('device/firmware').filter((a) => into(a, 'device/host'));
  assert.ok(bad.length === 0, show(bad));
});

H('lib/ imports nothing from device/, provision/ or bench/', () => {
  const bad = arrowsFrom('lib').filter((a) => into(a, 'device', 'provision', 'bench'));
  assert.ok(bad.length === 0, show(bad));
});

H('provision/local/ imports nothing from device/host or device/firmware', () => {
  const bad = arrowsFrom('provision/local').filter((a) => into(a, 'device/host', 'device/firmware'));
  assert.ok(bad.length === 0, show(bad));
});

H('provision/ outside local/ reaches provision/local only through import(), never a static import', () => {
  const bad = arrowsFrom('provision').filter((a) => !under(a.from, 'provision/local') && into(a, 'provision/local'));
  assert.ok(bad.length === 0, show(bad));
});

H('no source under device/, provision/ or lib/ imports bench/ or test/', () => {
  const bad = arrows.filter((a) => sources.includes(a.from) && into(a, 'bench', 'test'));
  assert.ok(bad.length === 0, show(bad));
});

H('nothing in device/, provision/, lib/ or bench/ points outside the repository (../shared, issue N)', () => {
  const OUTSIDE = /\.\.\/shared\b|\bshared\/reference\b|\bissue\s*#?\s*\d+\b/i;
  const hits: string[] = [];
  for (const f of walk(['device', 'provision', 'lib', 'bench'])) {
    const s = text(f);
    if (s.includes('\0')) continue; // binary
    linesOf(s).forEach((l, i) => { if (OUTSIDE.test(l)) hits.push(`${f}:${i + 1}: ${l.trim()}`); });
  }
  assert.ok(hits.length === 0, `${hits.length} pointers outside the repository:\n${hits.join('\n')}`);
});

H.run();
