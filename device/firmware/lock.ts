// The writers' lock: an O_EXCL file naming its holder by pid and process start time.
// A holder killed with -9 cannot unlock, so a waiter takes the lock over once the named
// process is gone. The start time (field 22 of /proc/<pid>/stat) tells a reused pid apart.
import { closeSync, fstatSync, linkSync, open, openSync, readFileSync, renameSync, statSync, unlink, unlinkSync, writeSync } from 'node:fs';
import { cb } from './atomic.js';
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

// Our own line never changes: read /proc once, not on every transaction.
let mine: string | undefined;
const me = (): string => (mine ??= `${process.pid} ${procStat(process.pid)?.start ?? '-'}\n`);

function parse(text: string): Holder | null {
  const m = /^(\d+) (\d+|-)\n$/.exec(text);
  return m ? { pid: Number(m[1]), start: m[2]! } : null;
}

/**
 * The one liveness rule for every lock file in the house (the store's, the endpoint's): the pid
 * exists, is not a zombie (exited, not yet reaped: it will never unlock), and, when the lock
 * recorded a start time ('-' or '' when it could not), still has it (else the pid was reused).
 */
export function processAlive(pid: number, start: string): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const st = procStat(pid);
  if (!st) return true; // no /proc: the signal probe is all there is
  if (st.state === 'Z' || st.state === 'X') return false; // killed, not yet reaped
  return start === '-' || start === '' || st.start === start;
}

export const alive = (h: Holder): boolean => processAlive(h.pid, h.start);

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

/** Removes a dead holder's lock: 'broken' (it was dead), 'gone' (try again), or 'live'. */
function breakStale(path: string): 'broken' | 'gone' | 'live' {
  const seen = read(path);
  if (!seen) return 'gone';
  if (!stale(seen)) return 'live';
  // Move it aside (atomic), then judge what was moved: another waiter may have broken
  // the same lock and created a live one in between.
  const aside = `${path}.stale-${process.pid}-${nodeCrypto().randomBytes(4).toString('hex')}`;
  try { renameSync(path, aside); } catch { return 'gone'; }
  const moved = read(aside);
  const live = !!moved && !stale(moved);
  if (live) {
    try { linkSync(aside, path); } catch { /* a new holder took the name; the moved one notices before committing */ }
  }
  try { unlinkSync(aside); } catch { /* gone already */ }
  return live ? 'gone' : 'broken';
}

export interface Lock {
  /** True while the lock file is still the one this holder created. */
  held(): boolean;
  /**
   * A dead holder's lock was broken on the way in: it may have left a half-written temp file,
   * which only the dead leave (every live writer renames or removes its own before unlocking).
   */
  readonly tookOver: boolean;
  release(): Promise<void>;
}

export async function acquire(storePath: string, timeoutMs = 30_000): Promise<Lock> {
  const path = `${storePath}.lock`;
  const text = me();
  const deadline = Date.now() + timeoutMs;
  let delay = 1, tookOver = false;
  for (;;) {
    // Creating a file waits on the file system's journal, behind other writers' fsyncs: off the
    // main thread, so a host driving many devices is not stalled by one.
    let fd = -1;
    try {
      fd = await cb<number>((d) => open(path, 'wx', 0o600, d));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new FirmwareError('E_IO', `cannot lock the device store (${(e as NodeJS.ErrnoException).code}): check that ${path} is writable`);
      }
    }
    if (fd >= 0) {
      try { writeSync(fd, text); } catch (e) { closeSync(fd); try { unlinkSync(path); } catch { /* gone */ } throw e; }
      // The fd stays open while held: its inode cannot be reused, so "the name still points at
      // my inode" is exact, and costs one stat instead of reading the file back.
      const own = fstatSync(fd);
      const held = () => { try { const st = statSync(path); return st.ino === own.ino && st.dev === own.dev; } catch { return false; } };
      let holding = true;
      return {
        held, tookOver,
        release: async () => {
          if (!holding) return;
          holding = false;
          try { if (held()) await cb((d) => unlink(path, d)); } catch { /* gone */ } finally { closeSync(fd); }
        },
      };
    }
    const was = breakStale(path);
    if (was === 'broken') tookOver = true;
    if (was !== 'live') continue;
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
  try { return await fn(lock); } finally { await lock.release(); }
}
