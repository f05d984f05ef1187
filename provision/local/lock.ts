// One process owns a state file at a time: `<state>.lock`, created with O_EXCL, holds the owner's
// pid, start time and role (a `local-aws` server, or a `provision --local` command), so whoever is
// refused can be told who holds it. A lock whose process is gone (exited, a zombie, or its pid now
// belonging to a process started later) is stale and taken over.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync, fsyncSync } from 'node:fs';
import { processAlive } from '../../device/host/api.js';
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

/** This process's start time (clock ticks since boot, /proc/self/stat field 22), or '' off Linux. */
function myStartTime(): string {
  try {
    const s = readFileSync('/proc/self/stat', 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch { return ''; }
}

/** The house's one liveness rule (a zombie or a reused pid is dead), as every other lock applies it. */
const alive = (h: Holder): boolean => processAlive(h.pid, h.started);

function read(path: string): { text: string; holder: Holder | null } | null {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch { return null; }
  try {
    const h = JSON.parse(text) as Holder;
    const role = h.role === 'local-aws' || h.role === 'provision --local' ? { role: h.role } : {};
    return { text, holder: Number.isInteger(h.pid) && h.pid > 0 ? { pid: h.pid, started: String(h.started ?? ''), ...role } : null };
  } catch { return { text, holder: null }; }
}

/** The live process holding `<state>.lock`, if any. */
export function lockHolder(lockPath: string): Holder | null {
  const r = read(lockPath);
  return r?.holder && alive(r.holder) ? r.holder : null;
}

export function acquireLock(lockPath: string, what: string, role: Role = 'local-aws'): Lock {
  const me: Holder = { pid: process.pid, started: myStartTime(), role };
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = openSync(lockPath, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new LocalAwsError('E_IO', `cannot create lock ${lockPath}: ${(e as Error).message}`);
      }
      const r = read(lockPath);
      if (r === null) continue; // released between our open and read
      // A half-written lock (holder null) is only stale once its writer had time to finish.
      if (r.holder && alive(r.holder)) {
        const fix = r.holder.role === 'provision --local' ? 'wait for it to finish' : r.holder.role === 'local-aws' ? 'stop it' : 'stop that process';
        throw new LocalAwsError('E_BUSY', `${what} is in use by ${describeHolder(r.holder)}: ${fix}, or use another --state file`, r.holder.pid, r.holder.role);
      }
      if (!r.holder && attempt < 2) { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50); continue; }
      // Re-read just before removing so we do not delete a lock someone else just took over.
      if (read(lockPath)?.text === r.text) { try { unlinkSync(lockPath); } catch { /* raced: retry */ } }
      continue;
    }
    try { writeSync(fd, JSON.stringify(me)); fsyncSync(fd); } finally { closeSync(fd); }
    let held = true;
    return {
      path: lockPath,
      release() {
        if (!held) return;
        held = false;
        const r = read(lockPath);
        if (r?.holder?.pid === me.pid && r.holder.started === me.started) { try { unlinkSync(lockPath); } catch { /* gone */ } }
      },
    };
  }
  throw new LocalAwsError('E_BUSY', `${what}: could not take ${lockPath} (another process keeps replacing it)`);
}
