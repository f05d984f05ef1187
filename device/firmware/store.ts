// The device's flash: one file, versioned and checksummed, replaced atomically under the lock.
//   line 1  "totp-fob store 1"
//   line 2  "sha256 <hex of SHA-256(line 1 ‖ LF ‖ body)>"
//   body    JSON of State
// A store cannot tell an old copy of itself from the real thing, so the highest generation each
// store has reached is also kept outside it, in a rollback record in the host's state directory.
// A store older than its record was put back (a backup, or someone restoring 8 spent access-code
// tries) and is refused. Whoever can roll the record back too is not stopped.
import { readdir, readFileSync, statSync, unlinkSync } from 'node:fs';
import { cb, chmodHint, makeDirs, openBits, tempPrefix, writeAtomic } from '../../lib/files.js';
import { basename, dirname, join } from 'node:path';
import { sha, type Algorithm } from '../core/index.js';
import { acquire, LockBusyError, type Lock } from '../../lib/lock.js';
import { FirmwareError } from './errors.js';
import type { Kdf } from './seal.js';
import { storeProblem } from './validate.js';

export { MAX_RETRIES } from './validate.js';

export const FORMAT = 1;

export interface Identity {
  serial: string;
  model: string;
  /** major.minor.patch, also the YKOATH version SELECT reports. */
  firmware: string;
  /** Unix ms, host time at manufacture. */
  manufactured: number;
  driftPpm: number;
  /** 16 random bytes (hex) naming the device's rollback record; absent in stores made before it. */
  uid?: string;
}

export interface Credential {
  /** YKOATH id, `[period/][issuer:]name`, 1–64 bytes of UTF-8. */
  id: string;
  type: 'TOTP' | 'HOTP';
  algorithm: Algorithm;
  digits: number;
  /** TOTP step in seconds (1–300); 0 for HOTP. */
  period: number;
  /** HOTP moving factor, < 2^32 as YKOATH carries it. */
  counter: number;
  touch: boolean;
  /** Last TOTP step handed out by CALCULATE ONCE; -1 before the first. */
  highWater: number;
  /** "p:" + base64 key, or "g:" + base64(iv ‖ ciphertext ‖ tag) sealed under the access code. */
  secret: string;
}

export interface State {
  identity: Identity;
  /** YKOATH name/salt (8 bytes hex): SELECT's tag 71, the PBKDF2 salt of the access key. */
  salt: string;
  /** RTC: device time `setMs` was set when the host clock read `hostMs`. */
  clock: { setMs: number; hostMs: number };
  /**
   * kcv: key-check value of the sealing key, null when no access code is set;
   * kdf: its scrypt cost (absent: LEGACY_KDF).
   */
  access: { kcv: string | null; sealSalt: string; retries: number; kdf?: Kdf };
  credentials: Credential[];
  /** Raised by every write, so the rollback record can tell an old copy (absent: 0). */
  generation?: number;
}

const HEAD = `totp-fob store ${FORMAT}`;
const corrupt = (path: string, why = 'checksum mismatch') =>
  new FirmwareError('E_STORE_CORRUPT', `device store is corrupt (${why}): ${path} is left as it is for inspection; ` +
    'restore a backup or make a new device with token init');

// core's SHA-256, not node:crypto's: `show` then loads no crypto at all (~3 ms of its start).
const digest = (head: string, body: Buffer) =>
  Buffer.from(sha('SHA256', Buffer.concat([Buffer.from(head + '\n', 'latin1'), body]))).toString('hex');

/**
 * The last bytes whose checksum held (or that this process wrote). A command reads the store
 * several times (boot, SELECT, the display...); identical bytes need no second SHA-256, which
 * is most of `token show`'s own time. Equal content is the same state, whatever file it is in.
 */
let verified: Buffer | null = null;

export function encode(s: State): Buffer {
  const body = Buffer.from(JSON.stringify(s));
  return (verified = Buffer.concat([Buffer.from(`${HEAD}\nsha256 ${digest(HEAD, body)}\n`), body]));
}

export function decode(bytes: Buffer, path: string): State {
  const nl1 = bytes.indexOf(10), nl2 = nl1 < 0 ? -1 : bytes.indexOf(10, nl1 + 1);
  if (nl2 < 0) throw corrupt(path);
  const head = bytes.subarray(0, nl1).toString('latin1');
  const sum = /^sha256 ([0-9a-f]{64})$/.exec(bytes.subarray(nl1 + 1, nl2).toString('latin1'));
  const ver = /^totp-fob store (\d+)$/.exec(head);
  const body = bytes.subarray(nl2 + 1);
  if (!ver || !sum) throw corrupt(path);
  if (!verified?.equals(bytes)) {
    if (digest(head, body) !== sum[1]) throw corrupt(path);
    verified = bytes;
  }
  if (Number(ver[1]) !== FORMAT) {
    throw new FirmwareError('E_STORE_VERSION', `device store ${path} has format ${ver[1]}, ` +
      `this firmware reads format ${FORMAT}: use the totp-fob version that made it`);
  }
  let s: unknown;
  try { s = JSON.parse(body.toString('utf8')); } catch { throw corrupt(path, 'bad contents'); }
  const bad = storeProblem(s);
  if (bad) {
    throw new FirmwareError('E_STORE_INVALID', `device store ${path} holds a field no firmware writes (${bad}): ` +
      'it was edited by hand or by another tool. It is left as it is for inspection; ' +
      'restore a backup or make a new device with token init');
  }
  return s as State;
}

// Rollback records

/**
 * One file per device: its random uid, or for a store made before uids its serial and manufacture
 * time (both fixed for a device's life, so an old copy maps to the same record).
 */
function recordPath(dir: string, s: State): string {
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
function checkRecord(dir: string, s: State, storePath: string): void {
  const path = recordPath(dir, s), have = s.generation ?? 0, seen = recorded(path);
  if (have >= seen) return;
  throw new FirmwareError('E_ROLLBACK', `device store ${storePath} is older than this host last saw it ` +
    `(generation ${have}, the record says ${seen}): an old copy was put back, which would bring back spent ` +
    'access-code tries, used codes and ' +
    `deleted credentials. If you restored a backup on purpose, delete ${path} and run again`);
}

/** Raises the record to the store's generation (after the store itself is on disk). */
async function raiseRecord(dir: string, s: State): Promise<void> {
  const path = recordPath(dir, s);
  if (recorded(path) >= (s.generation ?? 0)) return;
  makeDirs(dir);
  await writeAtomic(path, `${s.generation ?? 0}\n`);
}

/**
 * Loads the store: missing, too open, corrupt, foreign or invalid files are refused, never
 * repaired; so is one older than its rollback record in `records` (when given).
 */
export function readStore(path: string, records?: string | null): State {
  // A writer replaces the store, then raises its record: one that does both between our read of
  // the store and our read of the record makes a current store look older than its record. The
  // store is read again (after that record) before it is called a rollback; a copy put back stays old.
  for (let tries = 1; ; tries++) {
    const s = readOnce(path);
    if (!records) return s;
    try {
      checkRecord(records, s, path);
      return s;
    } catch (e) {
      if (tries >= 3 || !(e instanceof FirmwareError && e.code === 'E_ROLLBACK')) throw e;
    }
  }
}

function readOnce(path: string): State {
  let mode: number;
  try { mode = statSync(path).mode; } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new FirmwareError('E_NO_DEVICE',
        `no device at ${path}: make one with token init, or name another with --device`);
    }
    throw new FirmwareError('E_IO',
      `cannot read the device store ${path} (${(e as NodeJS.ErrnoException).code})`);
  }
  if (openBits(mode)) {
    const m = (mode & 0o777).toString(8).padStart(4, '0');
    throw new FirmwareError('E_STORE_PERMS',
      `device store ${path} is open to group or others (mode ${m}): ${chmodHint(path)}`);
  }
  let bytes: Buffer;
  try { bytes = readFileSync(path); } catch (e) {
    throw new FirmwareError('E_IO',
      `cannot read the device store ${path} (${(e as NodeJS.ErrnoException).code})`);
  }
  return decode(bytes, path);
}

// The store's writers' lock, `<store>.lock`: the house's one lock, its failures in the firmware's words.
const WAIT_MS = 30_000;

/** Runs fn while holding the store's lock, waiting up to 30 s for another writer. */
async function withLock<T>(storePath: string, fn: (lock: Lock) => T | Promise<T>): Promise<T> {
  const path = `${storePath}.lock`;
  let lock: Lock;
  try {
    lock = await acquire(path, { timeoutMs: WAIT_MS });
  } catch (e) {
    if (e instanceof LockBusyError) {
      throw new FirmwareError('E_BUSY',
        `the device is busy: another process has held ${path} for ${WAIT_MS / 1000} s`);
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (!code) throw e;
    throw new FirmwareError('E_IO', `cannot lock the device store (${code}): check that ${path} is writable`);
  }
  try { return await fn(lock); } finally { await lock.release(); }
}

/**
 * A writer killed mid-write leaves its temp file behind, and its lock: whoever breaks that lock
 * sweeps (under the lock nobody else is writing one). Not on every write: in a --device-dir of a
 * thousand stores, a readdir per write was most of a batch's file-system time.
 */
async function sweepTemps(path: string): Promise<void> {
  const prefix = basename(tempPrefix(path)), dir = dirname(path);
  let names: string[];
  try { names = await cb<string[]>((d) => readdir(dir, d)); } catch {
    return; /* unreadable dir: the write reports it */
  }
  for (const f of names) if (f.startsWith(prefix)) try { unlinkSync(join(dir, f)); } catch { /* raced */ }
}

/**
 * The one way to change the store: lock, re-read, apply, atomic write, unlock. So two
 * processes never lose each other's changes. fn edits the state it is given; nothing is
 * written when it throws or changes nothing.
 */
export async function update<T>(
  path: string, fn: (s: State) => T | Promise<T>, records?: string | null,
): Promise<{ state: State; result: T }> {
  return withLock(path, async (lock) => {
    if (lock.tookOver) await sweepTemps(path);
    const state = readStore(path, records);
    const before = JSON.stringify(state);
    const result = await fn(state);
    if (JSON.stringify(state) !== before) {
      if (!lock.held()) {
        throw new FirmwareError('E_BUSY',
          `lost the lock on ${path} to another process; nothing was written, try again`);
      }
      state.generation = (state.generation ?? 0) + 1;
      await writeAtomic(path, encode(state));
      // The record follows the store: a crash in between leaves the store ahead, which is accepted.
      if (records) await raiseRecord(records, state);
    }
    return { state, result };
  });
}

/** Writes a brand-new store; refuses to overwrite a device. */
export async function createStore(path: string, s: State): Promise<void> {
  makeDirs(dirname(path));
  await withLock(path, async (lock) => {
    if (lock.tookOver) await sweepTemps(path);
    if (!statSync(path, { throwIfNoEntry: false })) { await writeAtomic(path, encode(s)); return; }
    throw new FirmwareError('E_EXISTS',
      `a device already exists at ${path}: use it, or remove it first to make a new one`);
  });
}
