// The rollback record: a store cannot tell an old copy of itself from the real thing, so the
// highest generation each store has reached is also kept outside it, in the host's state
// directory. A store older than its record was put back (a backup, or someone restoring 8 spent
// access-code tries) and is refused. Whoever can roll the record back too is not stopped.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha } from '../core/index.js';
import { writeAtomic } from '../../lib/files.js';
import { makeDirs } from '../../lib/files.js';
import { FirmwareError } from './errors.js';
import type { State } from './store.js';

/**
 * One file per device: its random uid, or for a store made before uids its serial and manufacture
 * time (both fixed for a device's life, so an old copy maps to the same record).
 */
export function recordPath(dir: string, s: State): string {
  const key = s.identity.uid ??
    Buffer.from(sha('SHA256', Buffer.from(`${s.identity.serial}\n${s.identity.manufactured}`)))
      .toString('hex').slice(0, 32);
  return join(dir, `${key}.gen`);
}

function recorded(path: string): number {
  let text: string;
  try { text = readFileSync(path, 'latin1'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw new FirmwareError('E_IO', `cannot read the rollback record ${path} (${(e as NodeJS.ErrnoException).code})`);
  }
  const m = /^(\d{1,15})\n$/.exec(text);
  // A torn or foreign record says nothing either way; the next write replaces it.
  return m ? Number(m[1]) : -1;
}

/** Refuses a store older than its record (E_ROLLBACK), saying how to accept it on purpose. */
export function checkRecord(dir: string, s: State, storePath: string): void {
  const path = recordPath(dir, s), have = s.generation ?? 0, seen = recorded(path);
  if (have >= seen) return;
  throw new FirmwareError('E_ROLLBACK', `device store ${storePath} is older than this host last saw it ` +
    `(generation ${have}, the record says ${seen}): an old copy was put back, which would bring back spent ` +
    'access-code tries, used codes and ' +
    `deleted credentials. If you restored a backup on purpose, delete ${path} and run again`);
}

/** Raises the record to the store's generation (after the store itself is on disk). */
export async function raiseRecord(dir: string, s: State): Promise<void> {
  const path = recordPath(dir, s);
  if (recorded(path) >= (s.generation ?? 0)) return;
  makeDirs(dir);
  await writeAtomic(path, `${s.generation ?? 0}\n`);
}
