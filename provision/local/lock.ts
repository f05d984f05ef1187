// One process owns a state file at a time: `<state>.lock` (the house's one lock) names its owner's
// role, a `local-aws` server or a `provision --local` command, so whoever is refused can be told
// who holds it and what to do. A lock whose process is gone is taken over.
import { acquireSync, lockHolder as liveHolder, LockBusyError } from '../../lib/lock.js';
import { LocalAwsError } from './errors.js';

export type Role = 'local-aws' | 'provision --local';
export interface Holder { pid: number; started: string; role?: Role }

/** "a `provision local-aws` server (pid 4242)" */
export function describeHolder(h: Holder): string {
  return h.role === 'local-aws' ? `a \`provision local-aws\` server (pid ${h.pid})`
    : h.role === 'provision --local' ? `a \`provision --local\` command (pid ${h.pid})`
      : `process ${h.pid}`;
}
export interface Lock { readonly path: string; release(): void }

const asHolder = (h: { pid: number; start: string; role?: string }): Holder => {
  const role = h.role === 'local-aws' || h.role === 'provision --local' ? { role: h.role as Role } : {};
  return { pid: h.pid, started: h.start, ...role };
};

/** The live process holding `<state>.lock`, if any. */
export function lockHolder(lockPath: string): Holder | null {
  const h = liveHolder(lockPath);
  return h && asHolder(h);
}

export function acquireLock(lockPath: string, what: string, role: Role = 'local-aws'): Lock {
  try {
    const l = acquireSync(lockPath, { role });
    return { path: lockPath, release: () => l.releaseSync() };
  } catch (e) {
    if (!(e instanceof LockBusyError)) {
      throw new LocalAwsError('E_IO', `cannot create lock ${lockPath}: ${(e as Error).message}`);
    }
    if (!e.holder) {
      throw new LocalAwsError('E_BUSY', `${what}: could not take ${lockPath} (another process keeps replacing it)`);
    }
    const h = asHolder(e.holder);
    const fix = h.role === 'provision --local' ? 'wait for it to finish'
      : h.role === 'local-aws' ? 'stop it' : 'stop that process';
    const message = `${what} is in use by ${describeHolder(h)}: ${fix}, or use another --state file`;
    throw new LocalAwsError('E_BUSY', message, h.pid, h.role);
  }
}
