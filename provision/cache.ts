// The session cache: STS credentials kept until a refresh window before they expire, one file per
// key under $XDG_CACHE_HOME/totp-fob/sessions/. The key is a hash of a canonical JSON of what the
// AWS CLI keys its assume-role cache on (role, serial, duration, external id, a session name the
// user set; never a code), plus the endpoint and the source access key id. This file is on the path
// of a cache hit, which must start about as fast as bare node: node:fs, node:path and node:crypto
// only (and lib's file helpers); the lock loads when a miss needs it.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readdirSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirs, openBits, writeAtomic } from '../lib/files.js';
import { xdgDir } from '../lib/paths.js';

/** The AWS CLI's own window (botocore's DEFAULT_EXPIRY_WINDOW_SECONDS). */
export const REFRESH_WINDOW = 900;
/** An entry is a few KB (a session token is ~1 KB); anything far larger is not one. */
const MAX_ENTRY = 64 * 1024;

export interface Creds { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string }

/** What one entry answers for. Absent fields are left out, as the AWS CLI leaves them out of its key. */
export interface Key {
  Op: 'AssumeRole' | 'GetSessionToken';
  RoleArn?: string;
  /** The MFA serial as given; without one, the token whose credential for the caller's device is used. */
  SerialNumber?: string;
  Device?: string;
  DurationSeconds: number;
  ExternalId?: string;
  RoleSessionName?: string;
  Endpoint: string;
  SourceAccessKeyId: string;
}

export interface Entry {
  Version: 1;
  Key: Key;
  Credentials: Creds;
  AssumedRoleUser?: { Arn: string };
  SerialNumber?: string;
}

/** $XDG_CACHE_HOME/totp-fob/sessions (XDG default ~/.cache). */
export function cacheDir(env: NodeJS.ProcessEnv): string {
  return join(xdgDir('cache', env), 'sessions');
}

/** JSON with object keys sorted at every level (Python's json.dumps(sort_keys=True), as the AWS CLI hashes). */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The entry's file: SHA-256 of the canonical key (the AWS CLI uses SHA-1 of its own). */
export const entryPath = (dir: string, key: Key) =>
  join(dir, `${createHash('sha256').update(canonical(key)).digest('hex')}.json`);

export type Read =
  | { kind: 'hit'; entry: Entry }
  | { kind: 'miss' }
  | { kind: 'open'; mode: number }
  | { kind: 'bad'; why: string };

/** Reads an entry without judging its age: a hit, nothing there, a file others can read, or a corrupt or foreign one.
 * */
export function readEntry(path: string, key: Key): Read {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'miss' };
    throw e;
  }
  let text: string;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { kind: 'bad', why: 'not a regular file' };
    if (openBits(st.mode)) return { kind: 'open', mode: st.mode & 0o777 };
    if (st.size > MAX_ENTRY) return { kind: 'bad', why: `${st.size} bytes, over ${MAX_ENTRY}` };
    const buf = Buffer.alloc(st.size);
    let n = 0;
    while (n < buf.length) { const r = readSync(fd, buf, n, buf.length - n, n); if (r === 0) break; n += r; }
    text = buf.toString('utf8', 0, n);
  } finally { closeSync(fd); }
  let e: unknown;
  try { e = JSON.parse(text); } catch { return { kind: 'bad', why: 'not JSON' }; }
  const why = invalid(e, key);
  return why ? { kind: 'bad', why } : { kind: 'hit', entry: e as Entry };
}

const str = (v: unknown, re: RegExp) => typeof v === 'string' && re.test(v);

/** Why `e` is not the entry for `key`, or '' when it is. Every field is checked as strictly as it is written. */
function invalid(e: unknown, key: Key): string {
  const x = e as Partial<Entry> | null;
  if (!x || typeof x !== 'object' || x.Version !== 1) return 'not a version 1 entry';
  if (canonical(x.Key) !== canonical(key)) return 'its key is not the one its name stands for';
  const c = x.Credentials;
  if (!c || typeof c !== 'object') return 'no credentials';
  if (!str(c.AccessKeyId, /^[A-Z0-9]{16,128}$/)) return 'a malformed AccessKeyId';
  if (!str(c.SecretAccessKey, /^[\x21-\x7e]{1,256}$/)) return 'a malformed SecretAccessKey';
  if (!str(c.SessionToken, /^[\x21-\x7e]{1,8192}$/)) return 'a malformed SessionToken';
  if (!str(c.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/) ||
    !Number.isFinite(Date.parse(c.Expiration))) return 'a malformed Expiration';
  if (x.AssumedRoleUser !== undefined && !str(x.AssumedRoleUser?.Arn,
    /^arn:[\w-]+:sts::\d{12}:assumed-role\/[\x21-\x7e]{1,2048}$/)) return 'a malformed AssumedRoleUser';
  if ((x.AssumedRoleUser !== undefined) !== (key.Op === 'AssumeRole')) return 'credentials of another kind';
  if (x.SerialNumber !== undefined && !str(x.SerialNumber, /^[\w+=/:,.@-]{9,256}$/)) return 'a malformed SerialNumber';
  return '';
}

/**
 * Whether credentials are good for `window` seconds more. Credentials die on STS's real clock: a
 * simulated clock (TOTP_FOB_NOW) may bring that closer, never put it off.
 */
export function fresh(c: Creds, window: number, now: number): boolean {
  return Date.parse(c.Expiration) / 1000 - window > Math.max(now, Date.now() / 1000);
}

/** `--refresh-window`: seconds, or a number with s, m or h (15m, 900, 1h); at most a day. */
export function parseWindow(v: string): number | null {
  const m = /^(\d{1,6})([smh]?)$/.exec(v.trim());
  if (!m) return null;
  const s = Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
  return s <= 86400 ? s : null;
}

/** Replaces the entry: 0600, atomically (temp, fsync, rename), in a 0700 directory. */
export async function writeEntry(path: string, e: Entry): Promise<void> {
  makeDirs(join(path, '..'));
  await writeAtomic(path, JSON.stringify(e));
}

export function dropEntry(path: string): void {
  try { unlinkSync(path); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
}

/** One process at a time per key: `<entry>.lock`, the house's one lock (taken over from the dead). */
export async function lockEntry(path: string, timeoutMs: number): Promise<{ release(): Promise<void> }> {
  const { acquire } = await import('../lib/lock.js');
  makeDirs(join(path, '..'));
  return acquire(`${path}.lock`, { timeoutMs });
}

/** Removes every entry (and temp files the dead left); live locks stay. Returns how many entries went. */
export function clearCache(dir: string): number {
  let names: string[];
  try { names = readdirSync(dir); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  let n = 0;
  for (const f of names) {
    if (!/^[0-9a-f]{64}\.json(\.tmp-.*)?$/.test(f)) continue;
    dropEntry(join(dir, f));
    if (f.endsWith('.json')) n++;
  }
  return n;
}
