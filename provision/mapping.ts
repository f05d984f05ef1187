// Which token credential backs which IAM serial: provision's own state, 0600, a snapshot plus a
// journal of changed rows (lib/journal.ts), so a batch's thousandth device costs one row, not the file.
// Updates are read-modify-write under a lock file (another `provision` may run at the same time)
// and queued within the process (a batch's workers finish together).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeDirs } from '../lib/files.js';
import { stateDir } from '../lib/paths.js';
import { checkPrivate, fsError } from './files.js';
import { Journaled, JournalError, recordKey } from '../lib/journal.js';
import { acquire } from '../lib/lock.js';
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

type Doc = { version: 1; devices: Mapping };

const journaled = (path: string) => new Journaled<Doc>(path, ['devices']);
/** The writer's view of each mapping file (snapshot + journal of changed rows: lib/journal.ts). */
const files = new Map<string, Journaled<Doc>>();
const fileOf = (path: string) => files.get(path) ?? files.set(path, journaled(path)).get(path)!;

/** Reads the mapping; readers use a view of their own, so a write in flight keeps its bookkeeping. */
export function readMapping(path: string, file = journaled(path)): Mapping {
  if (existsSync(path)) checkPrivate(path);
  try {
    const doc = file.load((text) => {
      const j = JSON.parse(text);
      if (j?.version !== 1 || typeof j.devices !== 'object' || j.devices === null ||
        Array.isArray(j.devices)) throw new Error('unknown layout');
      return j as Doc;
    });
    // Keyed by serials, which name devices the user chose: no prototype, so `toString` is not a row.
    const m = Object.create(null) as Mapping;
    for (const [serial, row] of Object.entries(doc?.devices ?? {})) {
      if (!row || typeof row !== 'object' || typeof row.token !== 'string' || typeof row.credential !== 'string') {
        throw new Error(`the row for ${JSON.stringify(serial.slice(0, 80))} has no token and credential`);
      }
      // Rows are replaced, never edited: a writer names the rows it changed by their identity.
      m[serial] = Object.freeze(row);
    }
    return m;
  } catch (e) {
    if (e instanceof JournalError && e.code === 'E_PERMS') throw new ProvisionError('E_STATE', e.message);
    throw new ProvisionError('E_STATE',
      `${path} is not provision state (${(e as Error).message}): move it aside and re-run`);
  }
}

// What this process last wrote, by the files' identity: an unchanged snapshot and journal mean
// nobody else wrote since, and the parse of a batch's ever-growing mapping can be skipped.
const written = new Map<string, { id: string; m: Mapping }>();
const remember = (path: string, m: Mapping) => written.set(path, { id: fileOf(path).identity(), m });
function reread(path: string): Mapping {
  const w = written.get(path);
  return w && w.id === fileOf(path).identity() ? w.m : readMapping(path, fileOf(path));
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
    let unlock: (() => Promise<void>) | undefined;
    // Answered once the lock is released, so a caller that goes on never finds it still there.
    let answer: () => void;
    try {
      unlock = await lock(path);
      const m = reread(path);
      const before = new Map(Object.entries(m));
      const out = batch.map((p) => { try { return { ok: true, v: p.change(m) }; } catch (e) { return { ok: false,
        v: e }; } });
      // Only new or replaced rows are serialized again (a batch's mapping holds thousands).
      const touched = new Set<string>();
      for (const [serial, row] of Object.entries(m)) {
        if (before.get(serial) !== row) { touched.add(recordKey('devices', serial)); Object.freeze(row); }
      }
      makeDirs(dirname(path));
      await fileOf(path).commit({ version: 1, devices: m }, touched);
      remember(path, m);
      answer = () => batch.forEach((p, i) => (out[i]!.ok ? p.done(out[i]!.v) : p.fail(out[i]!.v)));
    } catch (e) {
      written.delete(path); // its object may hold changes that never reached the file
      const err = e instanceof ProvisionError ?
        e : fsError(e, `cannot write provision's state ${path}`,
        'point XDG_STATE_HOME or PROVISION_STATE at a writable place');
      answer = () => { for (const p of batch) p.fail(err); };
    }
    await unlock?.().catch(() => {});
    answer();
  }
  flushing.delete(path);
}

/** The token's own writers' lock (pid + start time; a dead holder's is taken over), async. */
async function lock(path: string, waitMs = 10_000): Promise<() => Promise<void>> {
  makeDirs(dirname(path));
  try {
    const l = await acquire(`${path}.lock`, { timeoutMs: waitMs });
    return () => l.release();
  } catch (e) {
    if ((e as { code?: string }).code === 'E_BUSY') throw new ProvisionError('E_STATE',
      `${path} is locked by another provision for over ${waitMs / 1000} s: wait for it to finish`);
    throw e;
  }
}
