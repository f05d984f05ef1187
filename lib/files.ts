// Secret files, the one way this project keeps them (the device's store, provision's state, the
// local endpoint's account, a saved QR, a cached session):
// - replaced whole: a 0600 temp file beside it, fsync, rename over, fsync the directory. A crash or
//   a power cut leaves the old file or the new one, never half. Asynchronous on purpose: the fsyncs
//   wait in libuv's pool, so a host driving many devices or a server answering many clients goes on
//   working (and the disk sees them queued, not one by one);
// - or appended to durably (a journal);
// - in 0700 directories made by a `mkdir -p` that fails fast;
// - and refused when group or others may read them.
import {
  close, fdatasync, fstat, fsync, ftruncate, mkdirSync, open, rename, statSync, unlink, write, writeFile, type Stats,
} from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * A node:fs callback call as a promise. Not fs/promises: its FileHandle costs more per call, and a
 * store write is nine calls.
 */
export const cb = <T = void>(f: (done: (e: NodeJS.ErrnoException | null, v?: T) => void) => void): Promise<T> =>
  new Promise((ok, fail) => f((e, v) => (e ? fail(e) : ok(v as T))));

let temps = 0;

/** Temp files are `<path>.tmp-<pid>-<n>-<random>`: unique, not secret, and easy to sweep. */
export const tempPrefix = (path: string) => `${path}.tmp-`;

/** Replaces `path` with `data`, mode 0600 (the umask can only take bits away). */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${tempPrefix(path)}${process.pid}-${++temps}-${Math.random().toString(16).slice(2, 10)}`;
  const fd = await cb<number>((d) => open(tmp, 'wx', 0o600, d));
  try {
    await cb((d) => writeFile(fd, data, d));
    await cb((d) => fsync(fd, d));
  } catch (e) {
    await cb((d) => close(fd, d)).catch(() => {});
    await cb((d) => unlink(tmp, d)).catch(() => {});
    throw e;
  }
  await cb((d) => close(fd, d));
  try {
    await cb((d) => rename(tmp, path, d));
  } catch (e) {
    await cb((d) => unlink(tmp, d)).catch(() => {});
    throw e;
  }
  await fsyncDir(dirname(path));
}

/**
 * Appends `data` to `path` (0600) and makes it durable before returning: fdatasync, and the
 * directory too when the file was new or empty. `cutTo` first cuts the file there (a torn tail
 * from a crash mid-append, which would otherwise glue itself to this line).
 */
export async function appendDurable(path: string, data: string | Uint8Array, cutTo?: number): Promise<void> {
  const fd = await cb<number>((d) => open(path, 'a', 0o600, d));
  let fresh: boolean;
  try {
    if (cutTo !== undefined) await cb((d) => ftruncate(fd, cutTo, d));
    fresh = (await cb<Stats>((d) => fstat(fd, d))).size === 0;
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let o = 0; o < buf.length;) o += await cb<number>((d) => write(fd, buf, o, buf.length - o, null, d));
    await cb((d) => fdatasync(fd, d));
  } finally { await cb((d) => close(fd, d)); }
  if (fresh) await fsyncDir(dirname(path));
}

/**
 * Makes a rename durable. Writers in one directory share the fsync (group commit): a caller waits
 * for a sync that starts after its rename, and every caller that arrives while one runs shares the
 * next, so eight devices written at once into a --device-dir cost about two directory syncs, not eight.
 */
const dirSyncs = new Map<string, { running: Promise<void> | null; queued: Promise<void> | null }>();
function fsyncDir(dir: string): Promise<void> {
  let s = dirSyncs.get(dir);
  if (!s) dirSyncs.set(dir, (s = { running: null, queued: null }));
  if (s.queued) return s.queued;
  const st = s;
  const start = (): Promise<void> => {
    const p: Promise<void> = syncDir(dir).finally(() => {
      if (st.running === p) st.running = null;
      if (!st.running && !st.queued) dirSyncs.delete(dir);
    });
    st.running = p;
    return p;
  };
  if (!st.running) return start();
  return (st.queued = st.running.catch(() => {}).then(() => { st.queued = null; return start(); }));
}

/** Some file systems refuse fsync on a directory; they get what they offer. */
async function syncDir(dir: string): Promise<void> {
  let fd: number;
  try {
    fd = await cb<number>((d) => open(dir, 'r', d));
  } catch {
    return;
  }
  try { await cb((d) => fsync(fd, d)); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'ENOTSUP') throw e;
  } finally { await cb((d) => close(fd, d)).catch(() => {}); }
}

/**
 * `mkdir -p` of `dir` and its missing parents (mode 0700). Throws the fs error, with its path.
 * Node's recursive mkdirSync loops forever where a parent can never be created (under /proc it
 * keeps getting ENOENT and retrying), so each missing level is made on its own, after checking that
 * what exists above it is a directory.
 */
export function makeDirs(dir: string, mode = 0o700): void {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    let isDir: boolean;
    try { isDir = statSync(d).isDirectory(); } catch (e) {
      // ENOTDIR: a file above it; go up and name that file, not this path.
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(d) === d) throw e;
      missing.push(d);
      continue;
    }
    // Shaped as Node's own system errors are, so callers word it the same way.
    if (!isDir) {
      const e = new Error(`ENOTDIR: not a directory, mkdir '${d}'`);
      throw Object.assign(e, { code: 'ENOTDIR', syscall: 'mkdir', path: d });
    }
    break;
  }
  for (const d of missing.reverse()) {
    try { mkdirSync(d, { mode }); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; }
  }
}

/**
 * The mode bits that let group or others at a secret file, or 0. A secret file with any is refused
 * (each layer in its own words, ending with `chmodHint`), not silently fixed: someone else may
 * already have read it. Windows has no such bits to judge.
 */
export const openBits = (mode: number): number => (process.platform === 'win32' ? 0 : mode & 0o077);

/** The fix for a secret file open to others. */
export const chmodHint = (path: string): string => `run chmod 600 ${path}`;
