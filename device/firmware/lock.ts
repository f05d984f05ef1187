// The writers' lock: an O_EXCL file naming its holder by pid and process start time.
// A holder killed with -9 cannot unlock, so a waiter takes the lock over once the named
// process is gone. The start time (field 22 of /proc/<pid>/stat) tells a reused pid apart.
import { closeSync, fstatSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { nodeCrypto } from './node-crypto.js';
import { FirmwareError } from './errors.js';

/** An empty or half-written lock younger than this may be a holder between open and write. */
const HALF_WRITTEN_MS = 2000;

interface Holder { pid: number; start: string }

function procStat(pid: number): { state: string; start: string } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: f[0]!, start: f[19]! };
  } catch {
    return null;
  }
}

const me = (): string => `${process.pid} ${procStat(process.pid)?.start ?? '-'}\n`;

function parse(text: string): Holder | null {
  const m = /^(\d+) (\d+|-)\n$/.exec(text);
  return m ? { pid: Number(m[1]), start: m[2]! } : null;
}

export function alive(h: Holder): boolean {
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const st = procStat(h.pid);
  if (!st) return true; // no /proc: the signal probe is all there is
  if (st.state === 'Z' || st.state === 'X') return false; // killed, not yet reaped
  return h.start === '-' || st.start === h.start;
}

function read(path: string): { text: string; ino: number; mtimeMs: number } | null {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return null; }
  try {
    const st = fstatSync(fd);
    return { text: readFileSync(fd, 'utf8'), ino: st.ino, mtimeMs: st.mtimeMs };
  } finally { closeSync(fd); }
}

const stale = (l: { text: string; mtimeMs: number }): boolean => {
  const h = parse(l.text);
  return h ? !alive(h) : Date.now() - l.mtimeMs > HALF_WRITTEN_MS;
};

/** Removes a dead holder's lock. True when the caller should try to create the lock again. */
function breakStale(path: string): boolean {
  const seen = read(path);
  if (!seen) return true;
  if (!stale(seen)) return false;
  // Move it aside (atomic), then judge what was moved: another waiter may have broken
  // the same lock and created a live one in between.
  const aside = `${path}.stale-${process.pid}-${nodeCrypto().randomBytes(4).toString('hex')}`;
  try { renameSync(path, aside); } catch { return true; }
  const moved = read(aside);
  if (moved && !stale(moved)) {
    try { linkSync(aside, path); } catch { /* a new holder took the name; the moved one notices before committing */ }
  }
  try { unlinkSync(aside); } catch { /* gone already */ }
  return true;
}

export interface Lock {
  /** True while the lock file is still the one this holder created. */
  held(): boolean;
  release(): void;
}

export async function acquire(storePath: string, timeoutMs = 30_000): Promise<Lock> {
  const path = `${storePath}.lock`;
  const text = me();
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    let fd: number | undefined;
    try {
      fd = openSync(path, 'wx', 0o600);
      try { writeSync(fd, text); } catch (e) { try { unlinkSync(path); } catch { /* gone */ } throw e; }
      const ino = fstatSync(fd).ino;
      const held = () => { const l = read(path); return !!l && l.ino === ino && l.text === text; };
      return { held, release: () => { if (held()) try { unlinkSync(path); } catch { /* gone */ } } };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new FirmwareError('E_IO', `cannot lock the device store (${(e as NodeJS.ErrnoException).code}): check that ${path} is writable`);
      }
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    if (breakStale(path)) continue;
    if (Date.now() > deadline) {
      throw new FirmwareError('E_BUSY', `the device is busy: another process has held ${path} for ${timeoutMs / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 50);
  }
}

/** Runs fn while holding the store's lock. */
export async function withLock<T>(storePath: string, fn: (lock: Lock) => T | Promise<T>): Promise<T> {
  const lock = await acquire(storePath);
  try { return await fn(lock); } finally { lock.release(); }
}
