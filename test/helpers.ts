// Shared test plumbing: temp dirs, free ports, CLI runs, and oracle gating.
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const TOKEN = join(ROOT, 'dist/device/host/cli.cjs');
export const PROVISION = join(ROOT, 'dist/provision/cli.cjs');

export function tempDir(prefix = 'fob-'): { dir: string; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A port nobody is listening on right now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => res(p)); });
  });
}

const which = new Map<string, boolean>();
export function has(cmd: string, probe: string[] = ['--version']): boolean {
  if (!which.has(cmd)) which.set(cmd, spawnSync(cmd, probe, { stdio: 'ignore' }).status !== null &&
    spawnSync('sh', ['-c', `command -v ${cmd.split(' ')[0]}`], { stdio: 'ignore' }).status === 0);
  return which.get(cmd)!;
}

/** Shared with test/harness/uvu.mjs: the running test and the skips noted on it (null outside a test). */
interface Harness { current: { suite: string; test: string; skips: string[] } | null }
const harness = () => (globalThis as { [k: symbol]: Harness | undefined })[Symbol.for('totp-fob.harness')];

/**
 * Gate an oracle test: `if (!oracle(tool, ok, why)) return;`. Returns true when the tool is there.
 * Otherwise it returns false and the test, returning early without an error, is reported as
 * skipped with `why` (test/run.mjs counts it so); under INTEROP=required (CI) it throws instead,
 * failing the test.
 */
export function oracle(tool: string, ok: boolean, why = `${tool} is not installed`): boolean {
  if (ok) return true;
  if (process.env.INTEROP === 'required') throw new Error(`INTEROP=required but ${why}`);
  const h = harness();
  if (h?.current) h.current.skips.push(why);
  else process.stderr.write(`skip: ${why}\n`);
  return false;
}

export interface Run { code: number; stdout: string; stderr: string }

/** Run a command to completion (async, so servers in this process keep serving). */
export function run(cmd: string, args: string[],
  o: SpawnOptions & { input?: string | Buffer; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { ...o, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout!.on('data', (b) => (stdout += b));
    child.stderr!.on('data', (b) => (stderr += b));
    const t = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('error', rej);
    child.stdin!.on('error', () => {}); // a child that exits before reading stdin is not a test failure
    child.on('close', (code, sig) => { clearTimeout(t); res({ code: code ?? (sig ? 128 : 1), stdout, stderr }); });
    child.stdin!.end(o.input ?? '');
  });
}

export const node = (script: string, args: string[], o: Parameters<typeof run>[2] = {}) =>
  run(process.execPath, [script, ...args], o);

/**
 * Runs the shell line `cmd` on a pseudo-terminal (script(1)) and, once `ready(output)` holds, types
 * `keys` on it (`'\x03'` is a Ctrl-C the terminal turns into SIGINT). Waits on output, not on a clock,
 * so a loaded machine only makes it slower; `reached` says whether `ready` ever held.
 */
export function typeWhen(cmd: string, ready: (out: string) => boolean, keys: string,
  o: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run & { reached: boolean }> {
  return new Promise((res, rej) => {
    const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: o.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', reached = false;
    child.stdout!.on('data', (b) => {
      stdout += b;
      if (!reached && ready(stdout)) { reached = true; child.stdin!.write(keys); }
    });
    child.stderr!.on('data', (b) => (stderr += b));
    const t = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('error', rej);
    child.stdin!.on('error', () => {});
    child.on('close', (code, sig) => {
      clearTimeout(t);
      res({ code: code ?? (sig ? 128 : 1), stdout, stderr, reached });
    });
  });
}

/**
 * Runs a shell command under util-linux `script`, which gives it a pty (botocore's getpass reads
 * /dev/tty and flushes input typed early), and types `answer` once `prompt` shows up.
 */
export function answerOnTty(command: string, env: NodeJS.ProcessEnv, prompt: string, answer: string,
  timeoutMs = 30_000): Promise<Run> {
  return new Promise((res, rej) => {
    const c = spawn('script', ['-qec', command, '/dev/null'], { env });
    let stdout = '', sent = false;
    const t = setTimeout(() => { c.kill('SIGKILL'); rej(new Error(`no answer; saw: ${stdout}`)); }, timeoutMs);
    c.stdout!.on('data', (d) => {
      stdout += d;
      if (!sent && stdout.includes(prompt)) { sent = true; c.stdin!.write(`${answer}\n`); }
    });
    c.on('close', (n) => { clearTimeout(t); res({ code: n ?? 1, stdout, stderr: '' }); });
  });
}
