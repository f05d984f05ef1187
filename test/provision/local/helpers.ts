// Plumbing for the local IAM/STS suites: a server on a free port over a temp state file, SDK
// clients pointed at it, TOTP codes at chosen steps, and an expected-failure catcher.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { totp } from '../../../device/core/index.js';
import { hostClock, type HostClock } from '../../../lib/clock.js';
import { startLocalAws, type LocalAws, type LocalAwsOptions } from '../../../provision/local/server.js';
import { loadState, saveState, stateFile, type State } from '../../../provision/local/state.js';
import { tempDir, type Run } from '../../helpers.js';

/** A fixed TOTP instant 10 s into a step, so T-1/T/T+1 are unambiguous. */
export const T0 = Date.parse('2027-01-01T00:00:10Z') / 1000;
export const STEP0 = Math.floor(T0 / 30);

export interface Creds { accessKeyId: string; secretAccessKey: string; sessionToken?: string }

export interface Local {
  srv: LocalAws;
  dir: string;
  statePath: string;
  clock: HostClock;
  /** The seed user's key: the default for sts(). */
  creds: Creds;
  /** The administrator's key (AdministratorAccess): the default for iam(), since the endpoint enforces policies. */
  admin: Creds;
  iam(c?: Creds, extra?: object): IAMClient;
  sts(c?: Creds, extra?: object): STSClient;
  /**
   * Stops the server, changes its state file (say, a policy on a user or role), and starts it again
   * over the same file; `srv` and the clients made afterwards point at the new one.
   */
  edit(fn: (s: State) => void): Promise<void>;
  done(): Promise<void>;
}

export async function localAws(o: Partial<LocalAwsOptions> = {}): Promise<Local> {
  const t = tempDir('local-aws-');
  const statePath = o.statePath ?? join(t.dir, 'state.json');
  const clock = o.clock ?? hostClock(new Date(T0 * 1000).toISOString());
  let srv = await startLocalAws({ port: 0, ...o, statePath, clock });
  const creds = { accessKeyId: srv.fixture.accessKeyId, secretAccessKey: srv.fixture.secretAccessKey };
  const admin = { accessKeyId: srv.fixture.adminAccessKeyId, secretAccessKey: srv.fixture.adminSecretAccessKey };
  const cfg = (c: Creds, extra: object) =>
    ({ region: 'us-east-1', endpoint: srv.endpoint, credentials: c, maxAttempts: 1, ...extra });
  const l: Local = {
    srv, dir: t.dir, statePath, clock, creds, admin,
    iam: (c = admin, extra = {}) => new IAMClient(cfg(c, extra)),
    sts: (c = creds, extra = {}) => new STSClient(cfg(c, extra)),
    async edit(fn) {
      await srv.close();
      const file = stateFile(statePath);
      const s = loadState(file)!;
      fn(s);
      await saveState(file, s);
      l.srv = srv = await startLocalAws({ port: 0, ...o, statePath, clock });
    },
    async done() { await srv.close(); t.done(); },
  };
  return l;
}

/** Adds managed policy ARNs (AWS-managed, or customer-managed already in the state) to a user or role. */
export const attach = (kind: 'users' | 'roles', name: string, ...arns: string[]) => (s: State) => {
  const h = s[kind][name]!;
  h.attached = [...h.attached ?? [], ...arns];
};
/** Puts an inline policy on a user or role. */
export const putInline = (
  kind: 'users' | 'roles', name: string, policyName: string, doc: object | string,
) => (s: State) => {
  const h = s[kind][name]!;
  h.inline = Object.assign(Object.create(null) as Record<string, string>, h.inline ?? {},
    { [policyName]: typeof doc === 'string' ? doc : JSON.stringify(doc) });
};
export const ADMIN_ACCESS = 'arn:aws:iam::aws:policy/AdministratorAccess';

/** The code a device with this seed shows at `step`. */
export const codeAt = (seed: string, step: number) => totp(seed, step * 30);

/** The seed a CreateVirtualMFADevice answer carries (base64 of base32 text; the SDK hands bytes). */
export const seedOf = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

export interface AwsFailure extends Error {
  name: string; message: string; Code?: string; Type?: string; $fault?: string;
  $metadata: { httpStatusCode?: number; requestId?: string };
}

/** Awaits a call that must fail and returns its error. */
export async function failure(p: Promise<unknown>): Promise<AwsFailure> {
  try { await p; } catch (e) { return e as AwsFailure; }
  throw new Error('expected the call to fail, but it succeeded');
}

export const credsOf = (
  c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } | undefined,
): Creds =>
  ({ accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! });

/**
 * Runs a command with stdin closed. (helpers.run pipes stdin and can die of an unhandled EPIPE
 * when a quick child exits first; the oracles here never read stdin.)
 */
export function exec(
  cmd: string, args: string[], o: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { env: o.env ?? process.env, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    const t = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('error', rej);
    child.on('close', (code, sig) => { clearTimeout(t); res({ code: code ?? (sig ? 128 : 1), stdout, stderr }); });
  });
}
