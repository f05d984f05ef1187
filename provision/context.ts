// What every provisioning action shares: one clock, where its words go (data to stdout; warnings to
// stderr; progress to stderr on a TTY only), the AWS clients (real AWS, an --endpoint-url, or the local
// endpoint started in-process for --local), the token, and provision's state file.
import { join } from 'node:path';
import { hostClock, type HostClock } from '../lib/clock.js';
import { devicePath, openToken, recordsDir, type Token } from '../device/host/api.js';
import { call, connect, type Aws, type AwsOptions } from './aws.js';
import { fsError, ProvisionError, usage } from './errors.js';
import { stateDir } from '../lib/paths.js';
import { mappingPath } from './mapping.js';

export interface Io {
  /** One line of data on stdout. */
  out(line: string): void;
  /** A warning on stderr (always: it is about the result, not chatter). */
  warn(line: string): void;
  /** A fact about what was done on the side (a token created), on stderr. */
  note(line: string): void;
  /** An error about one item of several (a batch goes on), on stderr. */
  error(line: string): void;
  /** A transient status line on stderr, redrawn in place; '' clears it. A no-op off a TTY. */
  progress(line: string): void;
  readonly tty: boolean;
}

export function stdio(p: NodeJS.Process = process): Io {
  const tty = !!p.stderr.isTTY;
  let shown = false;
  const clear = () => { if (shown) { p.stderr.write('\r\x1b[K'); shown = false; } };
  return {
    tty,
    out: (line) => { clear(); p.stdout.write(line + '\n'); },
    warn: (line) => { clear(); p.stderr.write(`provision: warning: ${line}\n`); },
    error: (line) => { clear(); p.stderr.write(`provision: ${line}\n`); },
    note: (line) => { clear(); p.stderr.write(`provision: ${line}\n`); },
    progress: (line) => {
      if (!tty) return;
      clear();
      if (line) { p.stderr.write(line); shown = true; }
    },
  };
}

/** Collects everything (the demo and in-process tests). */
export function memoryIo(tty = false): Io & { lines: string[]; warnings: string[]; errors: string[]; notes: string[] } {
  const lines: string[] = [], warnings: string[] = [], errors: string[] = [], notes: string[] = [];
  return {
    tty, lines, warnings, errors, notes,
    out: (l) => lines.push(l), warn: (l) => warnings.push(l), error: (l) => errors.push(l), note: (l) => notes.push(l),
      progress: () => {},
  };
}

/** `say(seconds left)` on stderr, ticking each second, only on a terminal; returns what stops it. */
export function countdown(o: { clock: HostClock; io: Io }, seconds: number, say: (s: number) => string): () => void {
  if (!o.io.tty || o.clock.fixed || seconds <= 0) return () => {};
  const start = o.clock.now();
  const tick = () => o.io.progress(say(Math.max(0, Math.ceil(seconds - (o.clock.now() - start)))));
  tick();
  const t = setInterval(tick, 1000);
  return () => { clearInterval(t); o.io.progress(''); };
}

export interface CommonOptions {
  profile?: string;
  region?: string;
  endpointUrl?: string;
  local?: boolean;
  device?: string;
  json?: boolean;
  /** SDK attempts per call; a batch raises it to ride out throttling. */
  maxAttempts?: number;
}

export interface Caller { account: string; arn: string; userId: string }

export interface ProvisionCtx {
  aws: Aws;
  clock: HostClock;
  io: Io;
  env: NodeJS.ProcessEnv;
  mappingPath: string;
  /**
   * The --device / TOKEN_DEVICE / default token, opened once. A missing one is created as the first
   * `token enroll` creates it (one stderr line says so), unless `create` is false (list, remove).
   */
  token(create?: boolean): Promise<Token>;
  /** Another token store (batch --device-dir), which the caller closes. */
  openStore(path: string, create: boolean): Promise<Token>;
  caller(): Promise<Caller>;
  /** The local endpoint this process started (--local), if any. */
  local?: LocalEndpoint;
}

export interface LocalEndpoint {
  endpoint: string;
  fixture: {
    accountId: string; userName: string; userArn: string; accessKeyId: string; secretAccessKey: string;
    roleArn: string; adminAccessKeyId: string; adminSecretAccessKey: string };
  close(): Promise<void> | void;
}

export const isLocal = (o: CommonOptions, env: NodeJS.ProcessEnv) => !!o.local || env.PROVISION_LOCAL === '1';
export const localStatePath = (env: NodeJS.ProcessEnv) => join(stateDir(env), 'local-aws.json');

/** How long `--local` waits for another `provision --local` command to release the state. */
export const LOCAL_WAIT_MS = 10_000;

/**
 * Starts the embedded IAM/STS endpoint in this process, on 127.0.0.1, over its persisted state.
 * Another short `provision --local` command holding the state is waited for (up to LOCAL_WAIT_MS);
 * a `provision local-aws` server is not: it serves until stopped, so point --endpoint-url at it.
 */
export async function startLocal(clock: HostClock, env: NodeJS.ProcessEnv, statePath = localStatePath(env), io?: Io,
  waitMs = LOCAL_WAIT_MS): Promise<LocalEndpoint> {
  const [{ startLocalAws }, { resyncWindowOf }] =
    await Promise.all([import('./local/server.js'), import('./local/command.js')]);
  let resyncWindow: number | undefined;
  try { resyncWindow = resyncWindowOf(undefined, env); } catch (e) { throw usage((e as Error).message); }
  const until = Date.now() + waitMs;
  try {
    for (;;) {
      try {
        return await startLocalAws({ statePath, clock, role: 'provision --local', ...(resyncWindow !== undefined ? {
          resyncWindow } : {}) });
      } catch (e) {
        const err = e as Error & { code?: string; pid?: number; role?: string };
        if (err.code !== 'E_BUSY') throw e;
        const who = err.role === 'local-aws' ? `a \`provision local-aws\` server (pid ${err.pid})`
          : err.role === 'provision --local' ?
            `another \`provision --local\` command (pid ${err.pid})` : `process ${err.pid ?? '?'}`;
        if (err.role === 'provision --local' && Date.now() < until) {
          io?.progress(`waiting for ${who} to finish with ${statePath}`);
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        const fix = err.role === 'provision --local'
          ? `it has held it for over ${waitMs / 1000} s: wait for it to finish, or stop it`
          : 'point --endpoint-url at that server instead (with its keys), or stop it';
        throw new ProvisionError('E_LOCAL_BUSY', `--local cannot start: ${statePath} is held by ${who}: ${fix}`);
      }
    }
  } finally { io?.progress(''); }
}

export interface Parts {
  aws: Aws;
  clock: HostClock;
  io: Io;
  env?: NodeJS.ProcessEnv;
  mappingPath?: string;
  /** The token store (--device); resolved like `token` does. */
  device?: string;
  local?: LocalEndpoint;
}

/** A context over clients made elsewhere (the demo, the bench); close() closes the token only. */
export function makeCtx(p: Parts): ProvisionCtx & { close(): Promise<void> } {
  const env = p.env ?? process.env;
  let token: Promise<Token> | undefined;
  let caller: Promise<Caller> | undefined;
  const { aws, clock } = p;
  const open = (create: boolean): Promise<Token> => {
    const device = devicePath(p.device, env);
    const t = openToken({
      device, clock, records: recordsDir(env),
      ...(create ? { create: true, onCreate: (serial: string, path: string) => p.io.note(
        `created token ${serial} at ${path} (there was none)`) } : {}),
    }).catch((e: NodeJS.ErrnoException) => {
      if (token === t) token = undefined;
      // Node's own errors (mkdir under a file, EACCES...): name the token file, not only a directory.
      if (typeof e.syscall === 'string') throw fsError(e,
        `cannot ${create ? 'create or open' : 'open'} the token at ${device}`,
        'pick a writable --device or TOKEN_DEVICE');
      throw e;
    });
    return t;
  };
  return {
    aws, clock, io: p.io, env, local: p.local,
    mappingPath: p.mappingPath ?? mappingPath(env),
    token: (create = true) => (token ??= open(create)),
    openStore: (path, create) => openToken({ device: path, clock, create, records: recordsDir(env) }),
    caller: () => (caller ??= call('GetCallerIdentity', aws.sts.send(new aws.S.GetCallerIdentityCommand({}))).then((
      r) => ({
      account: r.Account ?? '', arn: r.Arn ?? '', userId: r.UserId ?? '',
    }))),
    close: async () => { if (token) await token.then((t) => t.close(), () => {}); },
  };
}

export async function withCtx<T>(o: CommonOptions, io: Io, fn: (ctx: ProvisionCtx) => Promise<T>,
  env: NodeJS.ProcessEnv = process.env): Promise<T> {
  let clock: HostClock;
  // A TOTP_FOB_NOW nobody can read is a usage error (exit 2), as for `token` and `local-aws`.
  try { clock = hostClock(env.TOTP_FOB_NOW); } catch (e) { throw usage(`TOTP_FOB_NOW: ${(e as Error).message}`); }
  let local: LocalEndpoint | undefined;
  const awsOpts: AwsOptions = { profile: o.profile, region: o.region, endpointUrl: o.endpointUrl, env,
    maxAttempts: o.maxAttempts };
  if (isLocal(o, env)) {
    if (o.endpointUrl || o.profile) throw usage(
      '--local starts its own endpoint with its own keys: drop --endpoint-url and --profile');
    local = await startLocal(clock, env, undefined, io);
    // The endpoint enforces identity policies, and the seed user's allow only its own MFA device. So
    // IAM (devices for any user, batch, list, remove) signs as the fixture's administrator, while STS
    // (who am I, sessions, AssumeRole, credential_process) signs as the seed user: that journey is
    // the user's own, and the MFA-only role's trust policy names that user.
    const f = local.fixture;
    Object.assign(awsOpts, { endpointUrl: local.endpoint, region: 'us-east-1',
      credentials: { accessKeyId: f.accessKeyId, secretAccessKey: f.secretAccessKey },
      iamCredentials: { accessKeyId: f.adminAccessKeyId, secretAccessKey: f.adminSecretAccessKey } });
  }
  let aws: Aws | undefined;
  let ctx: (ProvisionCtx & { close(): Promise<void> }) | undefined;
  try {
    aws = await connect(awsOpts);
    ctx = makeCtx({ aws, clock, io, env, device: o.device, local });
    return await fn(ctx);
  } finally {
    await ctx?.close();
    aws?.destroy();
    if (local) await local.close();
  }
}
