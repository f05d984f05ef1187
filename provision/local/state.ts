// The emulated account: a JSON snapshot and a journal of changed records (journal.ts). It holds
// seeds and secret keys, so both are secret files: 0600, and refused when others can read them.
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeDirs } from '../../device/host/api.js';
import { Journaled, JournalError } from './journal.js';
import { LocalAwsError } from './errors.js';
import type { Tag } from './validate.js';

export interface UserRec { name: string; path: string; id: string; created: number; tags: Tag[]; boundary?: string }
export interface KeyRec { id: string; secret: string; user: string; status: 'Active' | 'Inactive'; created: number }
export interface RoleRec {
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
export interface State {
  version: 1;
  accountId: string;
  users: Record<string, UserRec>;
  keys: Record<string, KeyRec>;
  roles: Record<string, RoleRec>;
  mfa: Record<string, MfaRec>;
  sessions: Record<string, SessionRec>;
  fixture: { user: string; key: string; role: string };
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Unbiased random characters (256 is a multiple of both alphabet sizes). */
const pick = (alpha: string, n: number) => [...randomBytes(n)].map((b) => alpha[b % alpha.length]).join('');

/** IAM unique ids: AIDA (user), AROA (role) + 17; access keys: AKIA (long-term), ASIA (session) + 16. */
const ID_LEN = { AIDA: 17, AROA: 17, AKIA: 16, ASIA: 16 } as const;
export const newId = (prefix: keyof typeof ID_LEN) => prefix + pick(B32, ID_LEN[prefix]);
export const newSecret = () => pick(B64, 40);
export const newSessionToken = () => randomBytes(264).toString('base64');

export const userArn = (s: State, u: UserRec) => `arn:aws:iam::${s.accountId}:user${u.path}${u.name}`;
export const roleArn = (s: State, r: RoleRec) => `arn:aws:iam::${s.accountId}:role${r.path}${r.name}`;
/** `mfa/` + path without its leading slash + name: AWS keeps even `//` (LocalStack's AWS snapshot). */
export const mfaSerial = (accountId: string, path: string, name: string) => `arn:aws:iam::${accountId}:mfa/${path.slice(1)}${name}`;

export const FIXTURE = {
  accountId: '123456789012',
  userName: 'kjh-SuperDuperUser',
  userPath: '/service-user/',
  roleName: 'kjh-DuperRole',
} as const;

/** The seed post's trust policy: that user, sts:AssumeRole, only with MFA. */
export const fixtureTrustPolicy = (accountId: string) => JSON.stringify({
  Version: '2012-10-17',
  Statement: [{
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${accountId}:user${FIXTURE.userPath}${FIXTURE.userName}` },
    Action: 'sts:AssumeRole',
    Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
  }],
}, null, 2);

export function newState(now: number): State {
  const accountId = FIXTURE.accountId;
  const key: KeyRec = { id: newId('AKIA'), secret: newSecret(), user: FIXTURE.userName, status: 'Active', created: now };
  return {
    version: 1,
    accountId,
    users: { [FIXTURE.userName]: { name: FIXTURE.userName, path: FIXTURE.userPath, id: newId('AIDA'), created: now, tags: [] } },
    keys: { [key.id]: key },
    roles: {
      [FIXTURE.roleName]: {
        name: FIXTURE.roleName, path: '/', id: newId('AROA'), created: now,
        policy: fixtureTrustPolicy(accountId), maxSession: 3600, tags: [],
      },
    },
    mfa: {},
    sessions: {},
    fixture: { user: FIXTURE.userName, key: key.id, role: FIXTURE.roleName },
  };
}

/** The account on disk: a snapshot plus a journal of changed records (journal.ts says why). */
export const stateFile = (path: string) => new Journaled<State>(path, ['users', 'keys', 'roles', 'mfa', 'sessions']);

/** Reads the state; null when the file does not exist yet. */
export function loadState(file: Journaled<State>): State | null {
  const path = file.path;
  let st;
  try { st = statSync(path); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new LocalAwsError('E_IO', `cannot read ${path}: ${(e as Error).message}`);
  }
  if (st.mode & 0o077) {
    throw new LocalAwsError('E_STATE_PERMS', `${path} holds secret keys and seeds but others can read it: run chmod 600 ${path}`);
  }
  let s: State | null;
  try {
    s = file.load((text) => {
      try { return JSON.parse(text) as State; } catch {
        throw new LocalAwsError('E_STATE_CORRUPT', `${path} is not a local-aws state file (not JSON): move it away or use another --state`);
      }
    });
  } catch (e) {
    if (e instanceof JournalError) throw new LocalAwsError(e.code === 'E_PERMS' ? 'E_STATE_PERMS' : 'E_STATE_CORRUPT', e.message);
    if (e instanceof LocalAwsError) throw e;
    throw new LocalAwsError('E_IO', `cannot read ${path}: ${(e as Error).message}`);
  }
  if (s?.version !== 1 || typeof s.accountId !== 'string' || !s.users || !s.keys || !s.roles || !s.mfa || !s.sessions || !s.fixture) {
    throw new LocalAwsError('E_STATE_CORRUPT', `${path} is not a local-aws state file (version 1): move it away or use another --state`);
  }
  return s;
}

/** Durable before it returns (old or new state after a crash, never half); the changes are taken at the call. */
export async function saveState(file: Journaled<State>, s: State): Promise<void> {
  makeDirs(dirname(file.path));
  await file.commit(s);
}
