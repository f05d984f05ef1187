// A private pcscd with a vsmartcard vpcd reader, for the ykman interop test and bench.
// pcscd 1.9.9 always serves the system socket /run/pcscd/pcscd.comm, so only one can run:
// our users serialise on a lock file, and refuse to touch a pcscd that is not theirs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, linkSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempDir, has, freePort, run, ROOT, TOKEN } from '../helpers.js';

export const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
export const READER = 'Test PCD 00 00';
// Debian puts pcscd in /usr/sbin, which a non-root PATH may lack.
const PCSCD = existsSync('/usr/sbin/pcscd') ? '/usr/sbin/pcscd' : 'pcscd';
const SERIAL = join(tmpdir(), 'totp-fob-pcscd.lock');

/** ykman's own Python (its shebang), which has pyscard; the python3 on PATH may be another one. */
function ykmanPython(): string {
  const at = spawnSync('sh', ['-c', 'command -v ykman'], { encoding: 'utf8' }).stdout.trim();
  try { return /^#!\s*(\S+)/.exec(readFileSync(at, 'utf8').slice(0, 200))?.[1] ?? 'python3'; } catch {
    return 'python3';
  }
}
let python: string | undefined;
const PYTHON = () => (python ??= ykmanPython());

/** Why the pcscd + vpcd + ykman stack cannot run here, or null when it can. */
export function missing(): string | null {
  if (!has(PCSCD, ['--version'])) return 'pcscd is not installed (apt-get install pcscd)';
  if (!existsSync(VPCD_DRIVER)) return `vsmartcard-vpcd is not installed (${VPCD_DRIVER} is missing)`;
  if (!has('ykman', ['--version'])) return 'ykman is not installed (apt-get install yubikey-manager)';
  if (spawnSync(PYTHON(), ['-c', 'import smartcard'], { stdio: 'ignore' }).status !== 0) {
    return `pyscard is not importable by ykman's ${PYTHON()} (apt-get install python3-pyscard)`;
  }
  return null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

const lockHolder = (): number => {
  try { return Number(readFileSync(SERIAL, 'utf8').trim() || 0); } catch { return 0; }
};

/**
 * A pcscd this machine runs that no totp-fob test started, in one line, or null. Ours is the child
 * of the process holding the lock (this one or another worktree's test or bench); any other pcscd
 * (the system's, a hand-started one, one orphaned by a test killed with -9) owns the one socket
 * /run/pcscd/pcscd.comm, and ykman would talk to it instead.
 */
export function foreignPcscd(): string | null {
  const holder = lockHolder();
  let names: string[] = [];
  try { names = readdirSync('/proc'); } catch { return null; }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    let stat = '';
    try { stat = readFileSync(`/proc/${n}/stat`, 'utf8'); } catch { continue; }
    // pid (comm) state ppid …: comm may hold spaces, so read from the last ')'.
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (comm !== 'pcscd') continue;
    const [state, ppidText] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(ppidText);
    // A zombie (exited, not yet reaped) holds no socket.
    if (state === 'Z' || state === 'X') continue;
    if (holder && alive(holder) && ppid === holder) continue;
    return `another pcscd is running (pid ${n}, parent ${ppid}), not started by a totp-fob test: ` +
      `it holds the machine's one pcscd socket, so stop it (e.g. kill ${n}) and run again`;
  }
  return null;
}

/** Waits (up to waitMs) for the machine-wide "one pcscd of ours" lock, saying once on stderr that it waits. */
async function serialise(waitMs: number): Promise<() => void> {
  const tmp = `${SERIAL}.${process.pid}`;
  writeFileSync(tmp, String(process.pid));
  const until = Date.now() + waitMs;
  let said = false;
  try {
    for (;;) {
      try { linkSync(tmp, SERIAL); break; } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const holder = lockHolder();
        if (!holder || !alive(holder)) { try { unlinkSync(SERIAL); } catch {} continue; }
        if (Date.now() > until) {
          throw new Error(`pcscd is in use by another test or bench (pid ${holder}) for over ${waitMs / 1000} s`);
        }
        if (!said) process.stderr.write(`waiting for pcscd: another totp-fob test or bench (pid ${holder}) has it\n`);
        said = true;
        await sleep(250);
      }
    }
  } finally { rmSync(tmp, { force: true }); }
  return () => {
    try { if (readFileSync(SERIAL, 'utf8').trim() === String(process.pid)) unlinkSync(SERIAL); } catch {}
  };
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

export interface Pcscd {
  port: number;
  pid: number;
  /** Slot 0's reader name, what `ykman --reader` takes (vpcd's slot 1 is `… 00 01`). */
  reader: string;
  log(): string;
  stop(): Promise<void>;
}

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
 * to restart pcscd under an attached card. `name` is the readers' FRIENDLYNAME. A pcscd that
 * is not ours fails it with foreignPcscd()'s one line.
 */
export async function startPcscd(o: { waitMs?: number; port?: number; name?: string } = {}): Promise<Pcscd> {
  // Another ykman suite or bench holds pcscd for a minute or two; a wait past that is a hang.
  const waitMs = o.waitMs ?? 300_000;
  const name = o.name ?? 'Test PCD';
  const unlock = await serialise(waitMs);
  const tmp = tempDir('fob-pcscd-');
  let child: ChildProcess | undefined;
  try {
    const foreign = foreignPcscd();
    if (foreign) throw new Error(foreign);
    const port = o.port ?? await portPair();
    const hex = `0x${port.toString(16).toUpperCase()}`;
    writeFileSync(join(tmp.dir, 'vpcd'),
      `FRIENDLYNAME "${name}"\nDEVICENAME   /dev/null:${hex}\nLIBPATH      ${VPCD_DRIVER}\nCHANNELID    ${hex}\n`);
    let out = '';
    child = track(spawn(PCSCD, ['--foreground', '-c', tmp.dir], { stdio: ['ignore', 'pipe', 'pipe'] }));
    child.stdout!.on('data', (b) => (out += b));
    child.stderr!.on('data', (b) => (out += b));
    const until = Date.now() + 60_000;
    while (sockets(port, '0A') === 0) {
      if (child.exitCode !== null) throw new Error(`pcscd exited ${child.exitCode}: ${out.trim().split('\n').pop()}`);
      if (Date.now() > until) throw new Error(`pcscd did not open vpcd port ${port} in 60 s`);
      await sleep(50);
    }
    const c = child;
    return {
      port, pid: c.pid!, reader: `${name} 00 00`, log: () => out,
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

// pyscard (ykman's own PC/SC layer): connect to the reader's card and read its ATR, as ykman will.
const PROBE = `import sys
from smartcard.System import readers
r = [x for x in readers() if str(x) == sys.argv[1]]
if not r: sys.exit('no reader ' + sys.argv[1])
c = r[0].createConnection()
c.connect()
print(bytes(c.getATR()).hex())
c.disconnect()`;

/**
 * Waits until pcscd has seen the card in `reader` and a connection to it succeeds (pcscd polls
 * presence every 0.4 s; under load, later). No fixed sleep: it returns as soon as it works, and
 * fails after `ms` with the probe's last word.
 */
export async function cardReady(reader: string, ms = 60_000): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const r = await run(PYTHON(), ['-c', PROBE, reader], { timeoutMs: 30_000 });
    if (r.code === 0) return r.stdout.trim();
    if (Date.now() > until) {
      throw new Error(`no card in reader '${reader}' after ${ms / 1000} s: ${r.stderr.trim().split('\n').pop()}`);
    }
    await sleep(200);
  }
}

/** Starts an attach process and waits until its card is usable in `reader` through pcscd. */
export async function startAttach(device: string, port: number, env: NodeJS.ProcessEnv = {},
  reader = READER): Promise<Attached> {
  const { cmd, args } = attachCommand(device, port);
  let out = '';
  const child = track(spawn(cmd, args,
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  child.stdout!.on('data', (b) => (out += b));
  child.stderr!.on('data', (b) => (out += b));
  const stop = async () => { await stopChild(child); return child.exitCode; };
  const until = Date.now() + 60_000;
  while (!cardConnected(port)) {
    if (child.exitCode !== null) throw new Error(`attach exited ${child.exitCode}: ${out.trim()}`);
    if (Date.now() > until) { await stop(); throw new Error(`attach did not reach vpcd in 60 s: ${out.trim()}`); }
    await sleep(50);
  }
  try { await cardReady(reader); } catch (e) { await stop(); throw e; }
  return { child, output: () => out, stop };
}
