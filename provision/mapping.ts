// Which token credential backs which IAM serial: provision's own state, 0600, written atomically.
// Updates are read-modify-write under a lock file (another `provision` may run at the same time)
// and queued within the process (a batch's workers finish together).
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkPrivate, stateDir, writeSecretFile } from './files.js';
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

const queues = new Map<string, Promise<unknown>>();

/** Applies `change` to the mapping on disk, atomically, one writer at a time. */
export function updateMapping<T>(path: string, change: (m: Mapping) => T): Promise<T> {
  const prev = queues.get(path) ?? Promise.resolve();
  const next = prev.catch(() => {}).then(async () => {
    const unlock = await lock(path);
    try {
      const m = readMapping(path);
      const out = change(m);
      writeSecretFile(path, JSON.stringify({ version: 1, devices: m }, null, 2) + '\n');
      return out;
    } finally { unlock(); }
  });
  queues.set(path, next);
  return next;
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; } };

async function lock(path: string, waitMs = 10_000): Promise<() => void> {
  const file = `${path}.lock`;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
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
