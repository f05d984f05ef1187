// A private pcscd with a vsmartcard vpcd reader, for the ykman interop test and bench.
// pcscd 1.9.9 always serves the system socket /run/pcscd/pcscd.comm, so only one can run:
// our users serialise on a lock file, and refuse to touch a pcscd that is not theirs.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, linkSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempDir, has, freePort, ROOT, TOKEN } from '../helpers.js';

export const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
export const READER = 'Test PCD 00 00';
// Debian puts pcscd in /usr/sbin, which a non-root PATH may lack.
const PCSCD = existsSync('/usr/sbin/pcscd') ? '/usr/sbin/pcscd' : 'pcscd';
const SYSTEM_PID = '/run/pcscd/pcscd.pid';
const SERIAL = join(tmpdir(), 'totp-fob-pcscd.lock');

/** Why the pcscd + vpcd + ykman stack cannot run here, or null when it can. */
export function missing(): string | null {
  if (!has(PCSCD, ['--version'])) return 'pcscd is not installed (apt-get install pcscd)';
  if (!existsSync(VPCD_DRIVER)) return `vsmartcard-vpcd is not installed (${VPCD_DRIVER} is missing)`;
  if (!has('ykman', ['--version'])) return 'ykman is not installed (apt-get install yubikey-manager)';
  return null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Waits (up to waitMs) for the machine-wide "one pcscd of ours" lock. */
async function serialise(waitMs: number): Promise<() => void> {
  const tmp = `${SERIAL}.${process.pid}`;
  writeFileSync(tmp, String(process.pid));
  const until = Date.now() + waitMs;
  try {
    for (;;) {
      try { linkSync(tmp, SERIAL); break; } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const holder = Number(readFileSync(SERIAL, 'utf8').trim() || 0);
        if (!holder || !alive(holder)) { try { unlinkSync(SERIAL); } catch {} continue; }
        if (Date.now() > until) throw new Error(`pcscd is in use by another test or bench (pid ${holder}) for over ${waitMs / 1000} s`);
        await sleep(250);
      }
    }
  } finally { rmSync(tmp, { force: true }); }
  return () => { try { if (readFileSync(SERIAL, 'utf8').trim() === String(process.pid)) unlinkSync(SERIAL); } catch {} };
}

/** A port p with p+1 also free (vpcd listens on both: one reader per slot). */
async function portPair(): Promise<number> {
  const free = (p: number) => new Promise<boolean>((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(p, '0.0.0.0', () => s.close(() => res(true)));
  });
  for (let i = 0; i < 50; i++) {
    const p = await freePort();
    if (p < 65535 && await free(p) && await free(p + 1)) return p;
  }
  throw new Error('no pair of free ports found');
}

/** TCP sockets on `port` in a given /proc/net/tcp state (0A listen, 01 established). */
function sockets(port: number, state: string, local = true): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = readFileSync(f, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 4) continue;
      const addr = local ? c[1]! : c[2]!;
      if (addr.endsWith(`:${hex}`) && c[3] === state) n++;
    }
  }
  return n;
}

export interface Pcscd { port: number; pid: number; log(): string; stop(): Promise<void> }

// Should a test die before its after hook, its pcscd and attach die with it (by pid).
const live = new Set<ChildProcess>();
process.once('exit', () => { for (const c of live) { try { c.kill('SIGKILL'); } catch {} } });
function track(c: ChildProcess): ChildProcess {
  live.add(c);
  c.once('exit', () => live.delete(c));
  return c;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
}

/**
 * Starts `pcscd --foreground -c DIR` with one vpcd reader pair (vpcd listens on port and
 * port+1, on every interface: only 127.0.0.1 ever connects). `port` reuses a pair, e.g.
 * to restart pcscd under an attached card.
 */
export async function startPcscd(o: { waitMs?: number; port?: number } = {}): Promise<Pcscd> {
  const waitMs = o.waitMs ?? 90_000;
  const unlock = await serialise(waitMs);
  const tmp = tempDir('fob-pcscd-');
  let child: ChildProcess | undefined;
  try {
    if (existsSync(SYSTEM_PID)) {
      const other = Number(readFileSync(SYSTEM_PID, 'utf8').trim() || 0);
      if (other && alive(other)) throw new Error(`another pcscd is running (pid ${other}), and it is not ours to stop`);
    }
    const port = o.port ?? await portPair();
    const hex = `0x${port.toString(16).toUpperCase()}`;
    writeFileSync(join(tmp.dir, 'vpcd'),
      `FRIENDLYNAME "Test PCD"\nDEVICENAME   /dev/null:${hex}\nLIBPATH      ${VPCD_DRIVER}\nCHANNELID    ${hex}\n`);
    let out = '';
    child = track(spawn(PCSCD, ['--foreground', '-c', tmp.dir], { stdio: ['ignore', 'pipe', 'pipe'] }));
    child.stdout!.on('data', (b) => (out += b));
    child.stderr!.on('data', (b) => (out += b));
    const until = Date.now() + 10_000;
    while (sockets(port, '0A') === 0) {
      if (child.exitCode !== null) throw new Error(`pcscd exited ${child.exitCode}: ${out.trim().split('\n').pop()}`);
      if (Date.now() > until) throw new Error(`pcscd did not open vpcd port ${port} in 10 s`);
      await sleep(50);
    }
    const c = child;
    return {
      port, pid: c.pid!, log: () => out,
      async stop() { await stopChild(c); tmp.done(); unlock(); },
    };
  } catch (e) {
    if (child) await stopChild(child);
    tmp.done(); unlock();
    throw e;
  }
}

/** True once a card has dialled in to vpcd's port (an established connection to it). */
export const cardConnected = (port: number) => sockets(port, '01', true) > 0;

/** The real `token attach` process, as a person would start it. */
export function attachCommand(device: string, port: number): { cmd: string; args: string[] } {
  return { cmd: process.execPath, args: [TOKEN, 'attach', '--device', device, '--vpcd', `127.0.0.1:${port}`] };
}

export interface Attached { child: ChildProcess; output(): string; stop(): Promise<number | null> }

/** Starts an attach process and waits until its card has dialled in to vpcd. */
export async function startAttach(device: string, port: number, env: NodeJS.ProcessEnv = {}): Promise<Attached> {
  const { cmd, args } = attachCommand(device, port);
  let out = '';
  const child = track(spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  const stop = async () => { await stopChild(child); return child.exitCode; };
  const until = Date.now() + 20_000;
  while (!cardConnected(port)) {
    if (child.exitCode !== null) throw new Error(`attach exited ${child.exitCode}: ${out.trim()}`);
    if (Date.now() > until) { await stop(); throw new Error(`attach did not reach vpcd in 20 s: ${out.trim()}`); }
    await sleep(50);
  }
  // pcscd polls card presence every 0.4 s (PCSCLITE_STATUS_POLL_RATE); give it one round.
  await sleep(600);
  return { child, output: () => out, stop };
}
