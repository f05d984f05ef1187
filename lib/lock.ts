// The one lock: `<path>`, created with O_EXCL, names its holder in one JSON line (pid, process
// start time, and the role it plays, so whoever is refused can be told who holds it). A holder
// killed with -9 cannot unlock, so a taker breaks the lock once the named process is dead: gone, a
// zombie, or its pid reused by a process started later (field 22 of /proc/<pid>/stat tells them
// apart). The device store's writers, `token attach`, the local endpoint and the session cache all
// take it; each layer words a LockBusyError its own way.
import {
  closeSync, fstatSync, linkSync, open, openSync, readFileSync, renameSync, statSync, unlink, unlinkSync, writeSync,
} from 'node:fs';
import { cb } from './files.js';

/** An empty or half-written lock younger than this may be a holder between open and write. */
const HALF_WRITTEN_MS = 2000;

export interface Holder { pid: number; start: string; role?: string }

/** The lock is held by a live process (`holder`), or by one still writing its name (null). */
export class LockBusyError extends Error {
  readonly code = 'E_BUSY';
  constructor(readonly path: string, readonly holder: Holder | null) {
    super(`${path} is held by ${holder ? `process ${holder.pid}` : 'a process that is starting'}`);
    this.name = 'LockBusyError';
  }
}

function procStat(pid: number): { state: string; start: string } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: f[0]!, start: f[19]! };
  } catch {
    return null;
  }
}

// Our own start time never changes: read /proc once, not on every transaction.
let myStart: string | undefined;
const me = (role?: string): string => {
  const start = (myStart ??= procStat(process.pid)?.start ?? '-');
  return `${JSON.stringify(role === undefined ? { pid: process.pid, start } : { pid: process.pid, start, role })}\n`;
};

/**
 * A holder line, or null (empty or half-written). Earlier locks said `started` (the endpoint's) or
 * `<pid> <start>` (the store's): a lock left by an older process is still judged by its holder.
 */
function parse(text: string): Holder | null {
  const plain = /^(\d+) (\d+|-)\n$/.exec(text);
  if (plain) return { pid: Number(plain[1]), start: plain[2]! };
  let h: { pid?: unknown; start?: unknown; started?: unknown; role?: unknown };
  try { h = JSON.parse(text) as typeof h; } catch { return null; }
  if (!h || typeof h !== 'object' || !Number.isSafeInteger(h.pid) || (h.pid as number) <= 0) return null;
  const pid = h.pid as number, start = String(h.start ?? h.started ?? '');
  return typeof h.role === 'string' ? { pid, start, role: h.role } : { pid, start };
}

/**
 * The one liveness rule for every lock file in the house: the pid exists, is not a zombie (exited,
 * not yet reaped: it will never unlock), and, when the lock recorded a start time ('-' or '' when
 * it could not), still has it (else the pid was reused).
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

const alive = (h: Holder): boolean => processAlive(h.pid, h.start);

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

/** The live process holding the lock at `path`, if any. */
export function lockHolder(path: string): Holder | null {
  const l = read(path);
  const h = l && parse(l.text);
  return h && alive(h) ? h : null;
}

/** Removes a dead holder's lock: 'broken' (it was dead), 'gone' (try again), or 'live'. */
function breakStale(path: string): 'broken' | 'gone' | 'live' {
  const seen = read(path);
  if (!seen) return 'gone';
  if (!stale(seen)) return 'live';
  // Move it aside (atomic), then judge what was moved: another taker may have broken the same
  // lock and created a live one in between.
  const aside = `${path}.stale-${process.pid}-${Math.random().toString(16).slice(2, 10)}`;
  try { renameSync(path, aside); } catch { return 'gone'; }
  const moved = read(aside);
  const live = !!moved && !stale(moved);
  if (live) {
    try { linkSync(aside, path); } catch { /* a new holder took the name; the moved one notices before committing */ }
  }
  // A dead holder's lock stays as `<path>.broken` until the next holder takes it in: another
  // taker may win the lock in the moment it was aside, and this one may die before its turn.
  try { if (live) unlinkSync(aside); else renameSync(aside, brokenMark(path)); } catch { /* gone already */ }
  return live ? 'gone' : 'broken';
}

const brokenMark = (path: string) => `${path}.broken`;

/** Whether a dead holder's lock was broken since the last holder looked (and the mark taken in). */
function takeBrokenMark(path: string): boolean {
  try { unlinkSync(brokenMark(path)); return true; } catch { return false; }
}

export interface Lock {
  readonly path: string;
  /** True while the lock file is still the one this holder created. */
  held(): boolean;
  /**
   * A dead holder's lock was broken since the last holder (by this taker or another): the dead may
   * have left a half-written temp file (every live writer renames or removes its own before unlocking).
   */
  readonly tookOver: boolean;
  release(): Promise<void>;
  releaseSync(): void;
}

function claim(path: string, fd: number, text: string, brokeOne: boolean): Lock {
  try { writeSync(fd, text); } catch (e) {
    closeSync(fd);
    try { unlinkSync(path); } catch { /* gone */ }
    throw e;
  }
  const tookOver = takeBrokenMark(path) || brokeOne;
  // The fd stays open while held: its inode cannot be reused, so "the name still points at my
  // inode" is exact, and costs one stat instead of reading the file back.
  const own = fstatSync(fd);
  const held = () => {
    try { const st = statSync(path); return st.ino === own.ino && st.dev === own.dev; } catch { return false; }
  };
  let holding = true;
  const letGo = () => { const was = holding; holding = false; return was; };
  return {
    path, held, tookOver,
    release: async () => {
      if (!letGo()) return;
      try { if (held()) await cb((d) => unlink(path, d)); } catch { /* gone */ } finally { closeSync(fd); }
    },
    releaseSync: () => {
      if (!letGo()) return;
      try { if (held()) unlinkSync(path); } catch { /* gone */ } finally { closeSync(fd); }
    },
  };
}

const busy = (path: string): LockBusyError => {
  const l = read(path);
  return new LockBusyError(path, l && parse(l.text));
};

const exists = (e: unknown): boolean => (e as NodeJS.ErrnoException).code === 'EEXIST';

export interface AcquireOptions {
  /** What the holder is, for whoever is refused (`local-aws`). */
  role?: string;
  /** How long to wait for a live holder (acquire); acquireSync never waits for one. Default 30 s. */
  timeoutMs?: number;
}

/**
 * Takes the lock, waiting up to timeoutMs for a live holder (then LockBusyError). Any other file
 * system failure (EACCES, ENOENT: no such directory) is thrown as it is.
 */
export async function acquire(path: string, o: AcquireOptions = {}): Promise<Lock> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const text = me(o.role);
  const deadline = Date.now() + timeoutMs;
  let delay = 1, tookOver = false;
  for (;;) {
    // Creating a file waits on the file system's journal, behind other writers' fsyncs: off the
    // main thread, so a host driving many devices is not stalled by one.
    let fd = -1;
    try { fd = await cb<number>((d) => open(path, 'wx', 0o600, d)); } catch (e) { if (!exists(e)) throw e; }
    if (fd >= 0) return claim(path, fd, text, tookOver);
    const was = breakStale(path);
    if (was === 'broken') tookOver = true;
    if (was !== 'live') continue;
    if (Date.now() > deadline) throw busy(path);
    await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
    delay = Math.min(delay * 2, 50);
  }
}

/**
 * Takes the lock now, or throws LockBusyError naming its live holder. A lock still being written
 * is waited on (it is named within moments, or stale once HALF_WRITTEN_MS old).
 */
export function acquireSync(path: string, o: Omit<AcquireOptions, 'timeoutMs'> = {}): Lock {
  const text = me(o.role);
  let tookOver = false;
  for (let gone = 0; ;) {
    let fd = -1;
    try { fd = openSync(path, 'wx', 0o600); } catch (e) { if (!exists(e)) throw e; }
    if (fd >= 0) return claim(path, fd, text, tookOver);
    const was = breakStale(path);
    if (was === 'broken') { tookOver = true; continue; }
    // Released or replaced between our open and our look: others keep racing for it.
    if (was === 'gone') { if (++gone < 5) continue; throw new LockBusyError(path, null); }
    const refusal = busy(path);
    if (refusal.holder) throw refusal;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

/** Runs fn while holding the lock at `path` (acquire's wait and errors). */
export async function withLock<T>(
  path: string, fn: (lock: Lock) => T | Promise<T>, o: AcquireOptions = {},
): Promise<T> {
  const lock = await acquire(path, o);
  try { return await fn(lock); } finally { await lock.release(); }
}
