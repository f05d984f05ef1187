// The token credential that stands for an AWS virtual MFA device, and the record of which one backs
// which IAM serial. Its id is the QR's label, fitted within YKOATH's 64-byte name limit. The record is
// provision's own state, checked against the token actually attached: 0600, a snapshot plus a journal
// of changed rows (lib/journal.ts), so a batch's thousandth device costs one row, not the file. Updates
// are read-modify-write under a lock file (another `provision` may run at the same time) and queued
// within the process (a batch's workers finish together).
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Token } from '../device/host/api.js';
import { chmodHint, makeDirs, openBits } from '../lib/files.js';
import { stateDir } from '../lib/paths.js';
import { Journaled, JournalError, recordKey } from '../lib/journal.js';
import { acquire } from '../lib/lock.js';
import { fsError, ProvisionError } from './errors.js';

/** What AWS's QR labels carry: `Amazon Web Services:NAME@ACCOUNT`, as CreateVirtualMFADevice's QRCodePNG does. */
export const AWS_ISSUER = 'Amazon Web Services';
export const SHORT_ISSUER = 'AWS';
/** YKOATH NAME tag (71) holds at most 64 bytes; the host refuses longer ids. */
export const MAX_ID = 64;

export interface Label { issuer: string; account: string; id: string; shortened: boolean }

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * The id the token will know the credential by: the QR's own label when it fits, else with the
 * issuer shortened to `AWS`. Null when even that is over 64 bytes.
 */
export function fitLabel(account: string, issuer: string = AWS_ISSUER): Label | null {
  const full = `${issuer}:${account}`;
  if (bytes(full) <= MAX_ID) return { issuer, account, id: full, shortened: false };
  const short = `${SHORT_ISSUER}:${account}`;
  if (bytes(short) <= MAX_ID) return { issuer: SHORT_ISSUER, account, id: short, shortened: true };
  return null;
}

/** The label for device NAME in account ACCOUNT, or a usage error before anything is created. */
export function labelFor(name: string, account: string): Label {
  const l = fitLabel(`${name}@${account}`);
  if (!l) {
    const room = MAX_ID - bytes(`${SHORT_ISSUER}:@${account}`);
    throw new ProvisionError('E_ID_TOO_LONG',
      `device name '${name}' is too long for a token credential: '${SHORT_ISSUER}:${name}@${account}' ` +
      `is ${bytes(`${SHORT_ISSUER}:${name}@${account}`)} bytes, the limit is ${MAX_ID}; ` +
      `use a name of at most ${room} bytes`);
  }
  return l;
}

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

/** Refuses a state file that is a directory, or that group or others can read (with the chmod that fixes it). */
function checkPrivate(path: string): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    throw new ProvisionError('E_STATE',
      `${path} is a directory, not provision's state file: point PROVISION_STATE at a file (e.g. ` +
      `${join(path, 'provision.json')}), or unset it`);
  }
  if (openBits(st.mode)) {
    throw new ProvisionError('E_STATE',
      `${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}): ${chmodHint(path)}`);
  }
}

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

interface Held { token: Token; id: string; entry?: MapEntry }

/** The credential for `serial` on the attached token; `override` names it when provision did not burn it. */
export async function credentialFor(ctx: { token(): Promise<Token>; mappingPath: string }, serial: string,
  override?: string): Promise<Held> {
  const token = await ctx.token();
  const entry = readMapping(ctx.mappingPath)[serial];
  const ids = (await token.list()).map((c) => c.id);
  if (override) {
    if (!ids.includes(override)) throw new ProvisionError('E_NOT_ON_TOKEN',
      `token ${token.serial} holds no credential '${override}' (have: ${ids.join(', ') || 'none'})`);
    return { token, id: override, entry };
  }
  if (!entry) {
    throw new ProvisionError('E_NO_MAPPING',
      `no record of a token credential for ${serial} in ${ctx.mappingPath}: name it with --credential ID`);
  }
  if (entry.token !== token.serial) {
    throw new ProvisionError('E_NOT_ON_TOKEN',
      `${serial} was burned into token ${entry.token}, but the attached token is ${token.serial}: pass --device for ` +
      `that token`);
  }
  if (!ids.includes(entry.credential)) {
    throw new ProvisionError('E_NOT_ON_TOKEN',
      `token ${token.serial} no longer holds '${entry.credential}' for ${serial} (deleted or renamed; see provision ` +
      `list): pass --credential ID`);
  }
  return { token, id: entry.credential, entry };
}
