#!/usr/bin/env node
// Runs every test/**/*.test.ts as its own process (a crash in one suite cannot hide
// another's results), two at a time, and totals uvu's summaries into one line that always reads
// `N passed, N failed, N skipped`. Suites run under test/harness/register.mjs: a hook that throws is
// printed and fails its suite, and a test that returned early on a missing oracle prints a
// `[skip] suite › test: why` line, counted here as skipped instead of passed.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// Suites run with NO_COLOR, so --no-color (the flag uvu's own CLI takes) is the default here.
const args = process.argv.slice(2).filter((a) => a !== '--no-color');

// The CLI tests run dist/, so build first; a failed build is a failed run, with its summary line.
if (!process.env.TEST_NO_BUILD) {
  const b = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8' });
  if (b.status !== 0) {
    process.stdout.write(`${b.stdout ?? ''}${b.stderr ?? ''}\nbuild failed (npm run build exited ${b.status})\n` +
      '0 passed, 1 failed, 0 skipped\n');
    process.exit(1);
  }
  // The suites and benches run under tsx, which strips types unchecked: check them here.
  const c = spawnSync('npm', ['run', '--silent', 'typecheck'], { cwd: root, encoding: 'utf8' });
  if (c.status !== 0) {
    process.stdout.write(`${c.stdout ?? ''}${c.stderr ?? ''}\n` +
      `type check failed (npm run typecheck exited ${c.status})\n0 passed, 1 failed, 0 skipped\n`);
    process.exit(1);
  }
}
// A suite that opens a token with the runner's own environment must not leave state in the
// user's XDG dirs: each run gets its own, removed at the end.
const scratchDir = mkdtempSync(join(tmpdir(), 'fob-run-'));
const scratch = { XDG_STATE_HOME: join(scratchDir, 'state'), XDG_CACHE_HOME: join(scratchDir, 'cache') };
process.on('exit', () => rmSync(scratchDir, { recursive: true, force: true }));
const filter = args[0] ? new RegExp(args[0]) : null;
const jobs = Number(process.env.TEST_JOBS ?? 2);
const perSuite = Number(process.env.TEST_SUITE_TIMEOUT ?? 600) * 1000;

const walk = (d) => readdirSync(d).flatMap((f) => {
  const p = join(d, f);
  return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
});
const files = walk(join(root, 'test')).sort().filter((f) => !filter || filter.test(relative(root, f)));

let passed = 0, failed = 0, skipped = 0;
const bad = [], skips = [];
const register = join(root, 'test/harness/register.mjs');

function run(file) {
  return new Promise((done) => {
    const name = relative(root, file);
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', register, file], {
      cwd: root, env: { ...process.env, ...scratch, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    const timer = setTimeout(() => {
      out += `\n[run] ${name}: timed out after ${perSuite / 1000}s\n`;
      kill();
    }, perSuite);
    // A suite's leftover children (servers, daemons) must not outlive it.
    const kill = () => { try { process.kill(-child.pid, 'SIGKILL'); } catch {} };
    child.on('close', (code) => {
      clearTimeout(timer); kill();
      const total = /Total:\s+(\d+)/.exec(out), pass = /Passed:\s+(\d+)/.exec(out);
      const skip = /Skipped:\s+(\d+)/.exec(out);
      // Tests that returned early on a missing oracle: uvu counted them as passed.
      const early = [...out.matchAll(/^\[skip\] (.+)$/gm)].map((m) => `${name}: ${m[1]}`);
      let p = 0, f = 0, s = skip ? Number(skip[1]) : 0;
      if (!total || !pass) {
        f = 1;
        out += `\n[run] ${name}: printed no summary (exit ${code}); counted as 1 failure\n`;
      }
      else {
        p = Number(pass[1]); f = Number(total[1]) - p;
        if (f === 0 && code !== 0) {
          f = 1;
          out += `\n[run] ${name}: exited ${code} after passing; counted as 1 failure\n`;
        }
        const moved = Math.min(early.length, p);
        p -= moved; s += moved;
      }
      skips.push(...early);
      out += `\n[run] ${name}: ${p} passed, ${f} failed, ${s} skipped\n`;
      passed += p; failed += f; skipped += s;
      if (f) bad.push(name);
      process.stdout.write(`\n=== ${name} (${((Date.now() - t0) / 1000).toFixed(1)}s)\n${out.trimEnd()}\n`);
      done();
    });
  });
}

const queue = [...files];
await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, async () => {
  while (queue.length) await run(queue.shift());
}));
if (skips.length) console.log(`\nskipped tests (their tool is missing):\n${skips.map((s) => `  ${s}`).join('\n')}`);
if (bad.length) console.log(`\nfailed suites: ${bad.join(', ')}`);
if (files.length === 0) { console.log('no test files found'); failed = 1; }
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
