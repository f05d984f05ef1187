// README.md is executed: every `$ ` line of its console blocks runs, in order, in one fresh HOME with no
// token, with `token`, `provision` and `aws` on PATH as `npm link` and pip would put them. A command
// exits as its transcript shows (an output line `token: …`/`provision: …`/`aws: …`, `An error occurred`
// or a linter's `FILE:LINE: error …` means a failure; anything else success), and every output line the
// README prints (digits and `…` are wildcards) appears in what it printed. A line that cannot run here
// is named, with its reason, in an HTML comment before its block, `<!-- not run: PREFIX: REASON -->`,
// and listed in this suite's output.
// `<!-- answer: PROMPT: COMMAND -->` types COMMAND's output when PROMPT appears (the AWS CLI's MFA
// prompt). A command ending in ` &` runs in the background until the suite ends; the suite waits for
// its first line of output. `<!-- paste: … -->` does what its reader is told to do with what a
// background command prints: the lines under `# ~/.aws/credentials` and `# ~/.aws/config` go into
// those files, and its `export` line sets the environment of the commands after it. `<!-- file: PATH -->`
// before any other fenced block appends the block to PATH.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { homedir } from 'node:os';
import { appendFileSync, chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, PROVISION, TOKEN, has, oracle, tempDir } from './helpers.js';

interface Step { cmd: string; expect: string[]; block: number; line: number }
interface Block {
  steps: Step[]; notRun: Map<string, string>; answers: [string, string][]; paste: boolean;
  file?: { path: string; text: string };
}

/** The console blocks of a Markdown text, with the markers in the comments right above each. */
export function parseReadme(md: string): Block[] {
  const lines = md.split('\n');
  const blocks: Block[] = [];
  let notRun = new Map<string, string>(), answers: [string, string][] = [], paste = false, file: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^<!-- paste: .+ -->$/.test(l)) { paste = true; continue; }
    const fm = /^<!-- file: (\S+) -->$/.exec(l);
    if (fm) { file = fm[1]!; continue; }
    const nr = /^<!-- not run: (.+?): (.+) -->$/.exec(l);
    if (nr) { notRun.set(nr[1]!, nr[2]!); continue; }
    const an = /^<!-- answer: (.+?): (.+) -->$/.exec(l);
    if (an) { answers.push([an[1]!, an[2]!]); continue; }
    if (l.startsWith('```')) {
      const fence = l.trim();
      let j = i + 1;
      const body: [string, number][] = [];
      while (j < lines.length && !lines[j]!.startsWith('```')) { body.push([lines[j]!, j + 1]); j++; }
      if (fence !== '```console' && file) {
        blocks.push({
          steps: [], notRun, answers, paste, file: { path: file, text: body.map(([t]) => t).join('\n') + '\n' },
        });
      }
      if (fence === '```console') {
        const b: Block = { steps: [], notRun, answers, paste };
        for (let k = 0; k < body.length; k++) {
          const [text, n] = body[k]!;
          if (text.startsWith('$ ')) {
            let cmd = text.slice(2);
            while (cmd.endsWith('\\') && k + 1 < body.length) cmd = cmd.slice(0, -1) + body[++k]![0].trim();
            b.steps.push({ cmd, expect: [], block: blocks.length, line: n });
          } else if (b.steps.length && text.trim()) b.steps[b.steps.length - 1]!.expect.push(text);
        }
        blocks.push(b);
      }
      i = j;
      notRun = new Map(); answers = []; paste = false; file = undefined;
    } else if (l.trim() && !l.startsWith('<!--')) { notRun = new Map(); answers = []; paste = false; file = undefined; }
  }
  return blocks;
}

/** An expected line as a pattern: digit runs and `…` match anything of their kind. */
function pattern(line: string): RegExp {
  const esc = line.trim().replace(/\s+/g, ' ').split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\d+/g, '\\d+'))
    .join('.*');
  return new RegExp(esc);
}

const failing = (expect: string[]) =>
  expect.some((l) => /^(token|provision|aws): |^An error occurred|^\S+:\d+: error /.test(l.trim()));

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const blocks = parseReadme(README);
const test = suite('README.md, executed');

test('the parser sees the first screen and every console block', () => {
  assert.ok(blocks.length >= 3, `only ${blocks.length} console blocks`);
  assert.equal(blocks[0]!.steps.map((s) => s.cmd.replace(/\s+#.*$/, '')), ['npm install && npm start', 'npm test']);
});

test('each command exits as its transcript shows, and prints what it shows', async () => {
  // The README's transcripts call the AWS CLI and qrencode as a reader would.
  if (!oracle('aws-cli', spawnSync('python3', ['-c', 'import awscli']).status === 0,
    'python3 cannot import awscli')) return;
  if (!oracle('qrencode', has('qrencode', ['-V']))) return;
  const box = tempDir('fob-readme-');
  const bin = join(box.dir, 'bin'), home = join(box.dir, 'home'), work = join(box.dir, 'work');
  for (const d of [bin, home, work]) mkdirSync(d, { recursive: true });
  const shim = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  shim('token', `exec "${process.execPath}" "${TOKEN}" "$@"`);
  shim('provision', `exec "${process.execPath}" "${PROVISION}" "$@"`);
  shim('aws', 'exec python3 -m awscli "$@"');
  const env: NodeJS.ProcessEnv = {
    PATH: `${bin}:${process.env.PATH}`, HOME: home, LANG: 'C.UTF-8', NO_COLOR: '1',
    // The machine's npm cache, as a returning user has one: the same packages, fetched once.
    npm_config_cache: process.env.npm_config_cache ?? join(homedir(), '.npm'), npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false',
  };
  const background: ChildProcess[] = [];
  const report: string[] = [];
  try {
    for (const b of blocks) {
      if (b.file) {
        const path = b.file.path.replace(/^~\//, `${home}/`);
        mkdirSync(dirname(path), { recursive: true });
        appendFileSync(path, b.file.text);
        report.push(`appended a block to ${b.file.path}`);
      }
      for (const s of b.steps) {
        const skip = [...b.notRun].find(([prefix]) => s.cmd.startsWith(prefix));
        const where = `README.md:${s.line} \`${s.cmd}\``;
        if (skip) { report.push(`not run: ${where}: ${skip[1]}`); continue; }
        // npm's lines run where a new user runs them: a fresh copy of the repository's files.
        const cwd = /^npm /.test(s.cmd) ? freshClone(box.dir) : work;
        const bg = /\s&(\s+#.*)?$/;
        if (bg.test(s.cmd)) {
          const child = spawn('bash', ['-c', `exec ${s.cmd.replace(bg, '')}`],
            { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
          background.push(child);
          let out = '';
          await new Promise<void>((res, rej) => {
            const t = setTimeout(() => rej(new Error(`${where}: no output within 60 s`)), 60_000);
            child.stdout!.on('data', (d) => { out += d; if (out.includes('\n')) { clearTimeout(t); res(); } });
            child.on('exit', (c) => { clearTimeout(t); rej(new Error(`${where}: exited ${c} before it was ready`)); });
          });
          if (b.paste) {
            // Its reader pastes what it printed: wait for the whole banner, then do so.
            await new Promise<void>((res, rej) => {
              const t = setTimeout(() => rej(new Error(`${where}: printed no ~/.aws lines within 60 s`)), 60_000);
              const look = () => { if (/^export /m.test(out)) { clearTimeout(t); res(); } };
              child.stdout!.on('data', look); look();
            });
            for (const [, name, body] of out.matchAll(
              /^# ~\/\.aws\/(credentials|config)\n([\s\S]*?)(?=^# |$(?![\s\S]))/gm)) {
              mkdirSync(join(home, '.aws'), { recursive: true });
              appendFileSync(join(home, '.aws', name!), body!, { mode: 0o600 });
            }
            // …and runs its `export` line in the shell the next commands run in.
            for (const [, vars] of out.matchAll(/^export (.+)$/gm)) {
              for (const [, k, v] of vars!.matchAll(/(\w+)=(\S+)/g)) env[k!] = v!;
            }
            report.push(`pasted the ~/.aws lines and ran the export line ${s.cmd} printed`);
          }
          for (const e of s.expect) {
            assert.match(out.replace(/\s+/g, ' '), pattern(e), `${where}: no line like ${JSON.stringify(e)}`);
          }
          report.push(`ran in background: ${where}`);
          continue;
        }
        const r = await runLine(s.cmd, cwd, env, b.answers);
        const out = `${r.stdout}\n${r.stderr}`;
        const detail = `${where} exited ${r.code}:\n${out.slice(-2000)}`;
        if (failing(s.expect)) assert.ok(r.code !== 0, `expected a failure: ${detail}`);
        else assert.is(r.code, 0, detail);
        const flat = out.replace(/\s+/g, ' ');
        for (const e of s.expect) {
          assert.match(flat, pattern(e), `${where}: no line like ${JSON.stringify(e)}\n${detail}`);
        }
        report.push(`ok: ${where}`);
      }
    }
  } finally {
    for (const c of background) { try { process.kill(-c.pid!, 'SIGTERM'); } catch {} }
    process.stdout.write(report.join('\n') + '\n');
    box.done();
  }
});

let clone: string | undefined;
/** The files git tracks, copied as a clone would have them (no node_modules, no dist). */
function freshClone(dir: string): string {
  if (clone) return clone;
  clone = join(dir, 'clone');
  const files = spawnSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).stdout
    .split('\0').filter(Boolean);
  for (const f of files) {
    mkdirSync(dirname(join(clone, f)), { recursive: true });
    try { copyFileSync(join(ROOT, f), join(clone, f)); } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return clone;
}

/** Runs one line under bash; when an answer's prompt shows up on stderr, types its command's output. */
function runLine(cmd: string, cwd: string, env: NodeJS.ProcessEnv, answers: [string, string][]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
    const child = spawn('bash', ['-c', cmd], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let stdout = '', stderr = '';
    const pending = [...answers];
    const look = () => {
      for (const a of pending) {
        if (!`${stdout}${stderr}`.includes(a[0])) continue;
        pending.splice(pending.indexOf(a), 1);
        const sub = spawn('bash', ['-c', a[1]], { cwd, env, stdio: ['ignore', 'pipe', 'inherit'] });
        let ans = '';
        sub.stdout!.on('data', (d) => (ans += d));
        sub.on('close', () => child.stdin!.write(ans.trim() + '\n'));
      }
    };
    child.stdout!.on('data', (d) => { stdout += d; look(); });
    child.stderr!.on('data', (d) => { stderr += d; look(); });
    child.stdin!.on('error', () => {});
    const t = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch {} }, 180_000);
    child.on('close', (code) => { clearTimeout(t); child.stdin!.destroy(); res({ code: code ?? 1, stdout, stderr }); });
    if (!answers.length) child.stdin!.end();
  });
}

test.run();
