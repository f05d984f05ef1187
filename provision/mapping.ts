// Which token credential backs which IAM serial: provision's own state, 0600, written atomically.
// Updates are read-modify-write under a lock file (another `provision` may run at the same time)
// and queued within the process (a batch's workers finish together).
import { closeSync, existsSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkPrivate, fsError, makeDirs, stateDir, writeSecretFileAsync } from './files.js';
import { ProvisionError } from './errors.js';

export interface MapEntry {
  /** Serial of the token holding the credential. */
  token: string;
  /** The credential's id on that token, e.g. `Amazon Web Services:alice@123456789012`. */
  credential: string;
  /** The device name given to CreateVirtualMFADevice. */
  name: string;
  account?: string;
  user?: string;
  created: string;
}
export type Mapping = Record<string, MapEntry>;

export const mappingPath = (env: NodeJS.ProcessEnv = process.env) =>
  env.PROVISION_STATE || join(stateDir(env), 'provision.json');

export function readMapping(path: string): Mapping {
  if (!existsSync(path)) return {};
  checkPrivate(path);
  try {
    const j = JSON.parse(readFileSync(path, 'utf8'));
    if (j?.version !== 1 || typeof j.devices !== 'object' || j.devices === null) throw new Error('unknown layout');
    return j.devices as Mapping;
  } catch (e) {
    throw new ProvisionError('E_STATE', `${path} is not provision state (${(e as Error).message}): move it aside and re-run`);
  }
}

// What this process last wrote, by the file's identity: every write renames a new inode into
// place, so an unchanged (inode, mtime, size) means nobody else wrote since and the parse of a
// batch's ever-growing file can be skipped.
const written = new Map<string, { id: string; m: Mapping }>();
const identity = (path: string) => { try { const st = statSync(path); return `${st.ino}:${st.mtimeMs}:${st.size}`; } catch { return ''; } };
const remember = (path: string, m: Mapping) => written.set(path, { id: identity(path), m });
function reread(path: string): Mapping {
  const w = written.get(path);
  return w && w.id && w.id === identity(path) ? w.m : readMapping(path);
}

interface Pending { change: (m: Mapping) => unknown; done: (v: unknown) => void; fail: (e: unknown) => void }
const pending = new Map<string, Pending[]>();
const flushing = new Map<string, Promise<void>>();

/**
 * Applies `change` to the mapping on disk, atomically, one writer at a time. Changes queued while a
 * write is in flight are applied together in the next one (a batch's workers finish in bursts).
 */
export function updateMapping<T>(path: string, change: (m: Mapping) => T): Promise<T> {
  return new Promise<T>((done, fail) => {
    const q = pending.get(path) ?? [];
    q.push({ change, done: done as (v: unknown) => void, fail });
    pending.set(path, q);
    if (!flushing.has(path)) flushing.set(path, flush(path));
  });
}

async function flush(path: string): Promise<void> {
  // Let this turn's other updates join the write (and those queued while it was in flight, the next).
  await new Promise((r) => setImmediate(r));
  while (pending.get(path)?.length) {
    const batch = pending.get(path)!;
    pending.set(path, []);
    let unlock: (() => void) | undefined;
    try {
      unlock = await lock(path);
      const m = reread(path);
      const out = batch.map((p) => { try { return { ok: true, v: p.change(m) }; } catch (e) { return { ok: false, v: e }; } });
      await writeSecretFileAsync(path, JSON.stringify({ version: 1, devices: m }, null, 2) + '\n');
      remember(path, m);
      batch.forEach((p, i) => (out[i]!.ok ? p.done(out[i]!.v) : p.fail(out[i]!.v)));
    } catch (e) {
      written.delete(path); // its object may hold changes that never reached the file
      const err = e instanceof ProvisionError ? e : fsError(e, `cannot write provision's state ${path}`, 'point XDG_STATE_HOME or PROVISION_STATE at a writable place');
      for (const p of batch) p.fail(err);
    } finally { unlock?.(); }
  }
  flushing.delete(path);
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; } };

async function lock(path: string, waitMs = 10_000): Promise<() => void> {
  const file = `${path}.lock`;
  makeDirs(dirname(path));
  const until = Date.now() + waitMs;
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid)); closeSync(fd);
      return () => { try { unlinkSync(file); } catch { /* gone */ } };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock left by a process that died is stale.
      let pid = NaN;
      try { pid = Number(readFileSync(file, 'utf8')); } catch { continue; }
      if (Number.isInteger(pid) && pid > 0 && !alive(pid)) { try { unlinkSync(file); } catch { /* raced */ } continue; }
      if (Date.now() > until) throw new ProvisionError('E_STATE', `${path} is locked by process ${pid}: wait for it, or remove ${file} if it is gone`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
