// The store's writers' lock, `<store>.lock`: the house's one lock, its failures in the firmware's words.
import { acquire, LockBusyError, type Lock } from '../../lib/lock.js';
import { FirmwareError } from './errors.js';

const WAIT_MS = 30_000;

/** Runs fn while holding the store's lock, waiting up to 30 s for another writer. */
export async function withLock<T>(storePath: string, fn: (lock: Lock) => T | Promise<T>): Promise<T> {
  const path = `${storePath}.lock`;
  let lock: Lock;
  try {
    lock = await acquire(path, { timeoutMs: WAIT_MS });
  } catch (e) {
    if (e instanceof LockBusyError) {
      throw new FirmwareError('E_BUSY', `the device is busy: another process has held ${path} for ${WAIT_MS / 1000} s`);
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (!code) throw e;
    throw new FirmwareError('E_IO', `cannot lock the device store (${code}): check that ${path} is writable`);
  }
  try { return await fn(lock); } finally { await lock.release(); }
}
