// The emulated account: a JSON snapshot and a journal of changed records (lib/journal.ts). It holds
// seeds and secret keys, so both are secret files: 0600, and refused when others can read them.
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { chmodHint, makeDirs, openBits } from '../../lib/files.js';
import { Journaled, JournalError } from '../../lib/journal.js';
import type { PolicySource } from '../policy/engine.js';
import { LocalAwsError } from './errors.js';
import type { Tag } from './validate.js';

/** Identity policies a user or role holds: inline documents by name, and the ARNs of managed ones attached. */
export interface Holder {
  /** PolicyName → document (as sent, whitespace kept); a dict (no prototype). */
  inline?: Record<string, string>;
  /** Managed policy ARNs, in attachment order: customer-managed (in `State.policies`) or AWS-managed. */
  attached?: string[];
}
export interface UserRec extends Holder {
  name: string; path: string; id: string; created: number; tags: Tag[]; boundary?: string;
}
export interface KeyRec { id: string; secret: string; user: string; status: 'Active' | 'Inactive'; created: number }
export interface RoleRec extends Holder {
  name: string; path: string; id: string; created: number; policy: string;
  description?: string; maxSession: number; tags: Tag[]; boundary?: string;
}
export interface MfaRec {
  serial: string; name: string; path: string; seed: string; created: number; tags: Tag[];
  user?: string; enabled?: number;
  /** Steps the device runs ahead (+) or behind (-), learnt by ResyncMFADevice. */
  offset: number;
  /** Steps whose code was already accepted: each code is single-use per serial and step. */
  used: number[];
}
export interface SessionRec {
  id: string; secret: string; token: string; expires: number;
  kind: 'session' | 'role';
  /** The IAM user behind a GetSessionToken session (and, for a role session, the original user if any). */
  user?: string;
  role?: string; sessionName?: string;
  /** TOTP-clock time of the MFA authentication this session carries, if any. */
  mfaAt?: number;
  /** Role sessions: session tags (passed and inherited), the transitive keys (lower case), the source identity. */
  tags?: Tag[]; transitive?: string[]; sourceIdentity?: string;
}
export interface PolicyVersionRec { id: string; doc: string; created: number }
/** A customer-managed policy, keyed in `State.policies` by its ARN. */
export interface ManagedPolicyRec {
  arn: string; name: string; path: string; id: string; created: number; updated: number;
  description?: string; tags: Tag[];
  /** Oldest first; at most 5, as IAM keeps. */
  versions: PolicyVersionRec[];
  defaultVersion: string;
  /** The number the next CreatePolicyVersion takes: ids are never reused (absent: one past the highest). */
  nextVersion?: number;
}
export interface State {
  version: 1;
  accountId: string;
  users: Record<string, UserRec>;
  keys: Record<string, KeyRec>;
  roles: Record<string, RoleRec>;
  mfa: Record<string, MfaRec>;
  sessions: Record<string, SessionRec>;
  policies: Record<string, ManagedPolicyRec>;
  /** The seed scenario's user, its key and role; the administrator and its key (fixture.ts). */
  fixture: { user: string; key: string; role: string; admin?: string; adminKey?: string };
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Unbiased random characters (256 is a multiple of both alphabet sizes). */
const pick = (alpha: string, n: number) => [...randomBytes(n)].map((b) => alpha[b % alpha.length]).join('');

/**
 * IAM unique ids: AIDA (user), AROA (role), ANPA (managed policy) + 17; access keys: AKIA (long-term),
 * ASIA (session) + 16.
 */
const ID_LEN = { AIDA: 17, AROA: 17, ANPA: 17, AKIA: 16, ASIA: 16 } as const;
export const newId = (prefix: keyof typeof ID_LEN) => prefix + pick(B32, ID_LEN[prefix]);
export const newSecret = () => pick(B64, 40);
export const newSessionToken = () => randomBytes(264).toString('base64');

export const userArn = (s: State, u: Pick<UserRec, 'path' | 'name'>) =>
  `arn:aws:iam::${s.accountId}:user${u.path}${u.name}`;
export const roleArn = (s: State, r: Pick<RoleRec, 'path' | 'name'>) =>
  `arn:aws:iam::${s.accountId}:role${r.path}${r.name}`;
/** `mfa/` + path without its leading slash + name: AWS keeps even `//` (LocalStack's AWS snapshot). */
export const mfaSerial = (accountId: string, path: string, name: string) =>
  `arn:aws:iam::${accountId}:mfa/${path.slice(1)}${name}`;

/**
 * A collection keyed by names the caller chose: no prototype, so `toString`, `hasOwnProperty` and
 * `__proto__` are names like any other (on a plain object they find Object.prototype's members,
 * and assigning `__proto__` replaces the prototype instead of adding a record).
 */
export function dict<T>(entries: Iterable<readonly [string, T]> = []): Record<string, T> {
  const d = Object.create(null) as Record<string, T>;
  for (const [k, v] of entries) d[k] = v;
  return d;
}

/** The account on disk: a snapshot plus a journal of changed records (lib/journal.ts says why). */
export const stateFile = (path: string) =>
  new Journaled<State>(path, ['users', 'keys', 'roles', 'mfa', 'sessions', 'policies']);

/** Reads the state; null when the file does not exist yet. */
export function loadState(file: Journaled<State>): State | null {
  const path = file.path;
  let st;
  try { st = statSync(path); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new LocalAwsError('E_IO', `cannot read ${path}: ${(e as Error).message}`);
  }
  if (openBits(st.mode)) {
    throw new LocalAwsError('E_STATE_PERMS',
      `${path} holds secret keys and seeds but others can read it: ${chmodHint(path)}`);
  }
  let s: State | null;
  try {
    s = file.load((text) => {
      try { return JSON.parse(text) as State; } catch {
        throw new LocalAwsError('E_STATE_CORRUPT',
          `${path} is not a local-aws state file (not JSON): move it away or use another --state`);
      }
    });
  } catch (e) {
    if (e instanceof JournalError) throw new LocalAwsError(e.code === 'E_PERMS' ? 'E_STATE_PERMS' : 'E_STATE_CORRUPT',
      e.message);
    if (e instanceof LocalAwsError) throw e;
    throw new LocalAwsError('E_IO', `cannot read ${path}: ${(e as Error).message}`);
  }
  return s === null ? null : checkState(s, path);
}

/** Durable before it returns (old or new state after a crash, never half); the changes are taken at the call. */
export async function saveState(file: Journaled<State>, s: State): Promise<void> {
  makeDirs(dirname(file.path));
  await file.commit(s);
}

// Loading: every record, field and reference is checked before the server listens, so a damaged
// or hand-edited file is one line naming what is wrong, never a TypeError halfway into a request.

type Check = (v: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const int: Check = (v) => Number.isSafeInteger(v);
const opt = (c: Check): Check => (v) => v === undefined || c(v);
const like = (re: RegExp): Check => (v) => typeof v === 'string' && re.test(v);
const oneOf = (...xs: string[]): Check => (v) => xs.includes(v as string);
const NAME = like(/^[\w+=,.@-]{1,128}$/);
const PATH = like(/^\/([\u0021-\u007E]*\/)?$/);
const TAGS: Check = (v) => Array.isArray(v) && v.length <= 50 &&
  v.every((t) => !!t && typeof t === 'object' && typeof t.Key === 'string' && typeof t.Value === 'string');
const W = {
  str: 'a string', num: 'a number', int: 'a whole number', name: 'an IAM name', path: 'an IAM path (/…/)',
    tags: 'a list of {Key, Value}',
} as const;

const HOLDER: Record<string, [Check, string]> = {
  inline: [opt((v) => isObj(v) && Object.values(v).every(str)), 'a map of policy names to documents'],
  attached: [opt((v) => Array.isArray(v) && v.every(str)), 'a list of policy ARNs'],
};

/** What each collection's records hold (fields not listed are kept as they are). */
const SHAPES: Record<string, { key: string; fields: Record<string, [Check, string]> }> = {
  users: { key: 'name', fields: {
    name: [NAME, W.name], path: [PATH, W.path], id: [str, W.str], created: [num, W.num],
    tags: [TAGS, W.tags], boundary: [opt(str), W.str], ...HOLDER,
  } },
  keys: { key: 'id', fields: {
    id: [like(/^AKIA[A-Z0-9]{12,124}$/), 'an AKIA access key id'],
      secret: [like(/^.{16,}$/), 'a secret of 16 characters or more'],
    user: [str, W.str], status: [oneOf('Active', 'Inactive'), 'Active or Inactive'], created: [num, W.num],
  } },
  roles: { key: 'name', fields: {
    name: [NAME, W.name], path: [PATH, W.path], id: [str, W.str], created: [num, W.num], policy: [str, W.str],
    description: [opt(str), W.str], maxSession: [(v) => int(v) && (v as number) >= 3600 && (v as number) <= 43200,
      '3600 to 43200 seconds'],
    tags: [TAGS, W.tags], boundary: [opt(str), W.str], ...HOLDER,
  } },
  mfa: { key: 'serial', fields: {
    serial: [str, W.str], name: [NAME, W.name], path: [PATH, W.path], seed: [like(/^[A-Z2-7]{16,}$/), 'a base32 seed'],
    created: [num, W.num], tags: [TAGS, W.tags], user: [opt(str), W.str], enabled: [opt(num), W.num],
    offset: [int, W.int], used: [(v) => Array.isArray(v) && v.every(int), 'a list of whole numbers'],
  } },
  sessions: { key: 'id', fields: {
    id: [like(/^ASIA[A-Z0-9]{12,124}$/), 'an ASIA access key id'], secret: [str, W.str], token: [str, W.str],
    expires: [num, W.num], kind: [oneOf('session', 'role'), 'session or role'], user: [opt(str), W.str],
    role: [opt(str), W.str], sessionName: [opt(str), W.str], mfaAt: [opt(num), W.num],
  } },
  policies: { key: 'arn', fields: {
    arn: [like(/^arn:aws:iam::\d{12}:policy\//), 'a policy ARN'], name: [NAME, W.name], path: [PATH, W.path],
    id: [str, W.str], created: [num, W.num], updated: [num, W.num], description: [opt(str), W.str],
    tags: [TAGS, W.tags], defaultVersion: [str, W.str], nextVersion: [opt(int), W.int],
    versions: [(v) => Array.isArray(v) && v.length >= 1 && v.length <= 5 && v.every((x) => isObj(x) &&
      typeof x.id === 'string' && typeof x.doc === 'string' && num(x.created)), 'a list of 1 to 5 {id, doc, created}'],
  } },
};

const show = (k: string) => JSON.stringify(k.length > 80 ? `${k.slice(0, 80)}…` : k);
const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The loaded document as a State, its collections rebuilt without prototypes; or E_STATE_CORRUPT naming the first
 * fault. */
export function checkState(doc: unknown, path: string): State {
  const bad = (what: string) => new LocalAwsError('E_STATE_CORRUPT',
    `${path} is damaged: ${what}: restore it from a backup, or move it (and its .journal) away to start a fresh ` +
      `account`);
  if (!isObj(doc) || doc.version !== 1) {
    throw new LocalAwsError('E_STATE_CORRUPT',
      `${path} is not a local-aws state file (version 1): move it away or use another --state`);
  }
  if (!like(/^\d{12}$/)(doc.accountId)) throw bad('accountId is not a 12-digit account id');
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, shape] of Object.entries(SHAPES)) {
    // Files written before managed policies existed have no `policies`: an empty collection.
    const col = doc[name] ?? (name === 'policies' ? {} : undefined);
    if (!isObj(col)) throw bad(`${name} is not a collection of records`);
    const d = dict<unknown>();
    for (const [k, rec] of Object.entries(col)) {
      const at = `${name}[${show(k)}]`;
      if (!isObj(rec)) throw bad(`${at} is not a record`);
      for (const [f, [ok, want]] of Object.entries(shape.fields)) {
        if (!ok(rec[f])) throw bad(`${at}.${f} ${rec[f] === undefined ? 'is missing' : 'is not'} ${want}`);
      }
      if (rec[shape.key] !== k) throw bad(`${at}.${shape.key} is ${show(String(rec[shape.key]))}, not its own key`);
      // Inline policies are keyed by the caller's names: rebuilt without a prototype.
      d[k] = isObj(rec.inline) ? { ...rec, inline: dict(Object.entries(rec.inline)) } : rec;
    }
    out[name] = d;
  }
  const s = { ...doc, ...out } as unknown as State;
  const ref = (col: 'users' | 'roles' | 'keys', k: unknown, at: string) => {
    if (typeof k !== 'string' || !(k in s[col])) throw bad(
      `${at} names ${col.slice(0, -1)} ${show(String(k))}, which is not in ${col}`);
  };
  for (const k of Object.values(s.keys)) ref('users', k.user, `keys[${show(k.id)}].user`);
  for (const d of Object.values(s.mfa)) if (d.user !== undefined) ref('users', d.user, `mfa[${show(d.serial)}].user`);
  for (const x of Object.values(s.sessions)) {
    const at = `sessions[${show(x.id)}]`;
    if (x.kind === 'role') {
      ref('roles', x.role, `${at}.role`);
      if (x.sessionName === undefined) throw bad(`${at}.sessionName is missing`);
    } else ref('users', x.user, `${at}.user`);
  }
  const f = doc.fixture;
  if (!isObj(f)) throw bad('fixture is missing');
  ref('users', f.user, 'fixture.user');
  ref('keys', f.key, 'fixture.key');
  ref('roles', f.role, 'fixture.role');
  if (s.keys[f.key as string]!.user !== f.user) throw bad(
    `fixture.key ${show(f.key as string)} is not ${show(f.user as string)}'s`);
  if (f.admin !== undefined || f.adminKey !== undefined) {
    ref('users', f.admin, 'fixture.admin');
    ref('keys', f.adminKey, 'fixture.adminKey');
    if (s.keys[f.adminKey as string]!.user !== f.admin) throw bad(
      `fixture.adminKey ${show(f.adminKey as string)} is not ${show(f.admin as string)}'s`);
  }
  return s;
}

export const policyArn = (accountId: string, path: string, name: string) =>
  `arn:aws:iam::${accountId}:policy${path}${name}`;

/**
 * A user's or role's identity policies: inline ones, then attached managed ones (their default
 * version). AWS-managed ARNs resolve through `awsManaged`; an ARN that resolves to nothing adds nothing.
 */
export function identityPolicies(s: State, h: Holder, kind: 'user' | 'role',
  awsManaged: (arn: string) => string | undefined = () => undefined): PolicySource[] {
  const out: PolicySource[] = [];
  for (const [id, doc] of Object.entries(h.inline ?? {})) out.push({ id, type: kind, doc });
  for (const arn of h.attached ?? []) {
    const p = s.policies[arn];
    if (p) {
      const v = p.versions.find((x) => x.id === p.defaultVersion);
      if (v) out.push({ id: arn, type: 'user-managed', doc: v.doc });
    } else {
      const doc = awsManaged(arn);
      if (doc !== undefined) out.push({ id: arn, type: 'aws-managed', doc });
    }
  }
  return out;
}
