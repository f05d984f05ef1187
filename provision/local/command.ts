// `provision local-aws [--port N] [--state FILE] [--json] [--throttle RATE] [--resync-window STEPS]
// [--open]`: serve until SIGINT/SIGTERM. The provision CLI parses flags and hands them here.
import { join } from 'node:path';
import { hostClock, type HostClock } from '../../lib/clock.js';
import { stateDir } from '../../lib/paths.js';
import { LocalAwsError } from './errors.js';
import { MAX_RESYNC_STEPS } from './mfa.js';
import { mfaSerial } from './state.js';
import { startLocalAws, type LocalAws } from './server.js';

export const DEFAULT_PORT = 4599;

export interface LocalAwsCommandOptions {
  port?: number | string;
  state?: string;
  json?: boolean;
  throttle?: number | string;
  resyncWindow?: number | string;
  /** Allow every signed caller every action (identity policies not enforced). */
  open?: boolean;
}
export interface CommandIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env?: NodeJS.ProcessEnv;
  /** Stops serving (tests); SIGINT and SIGTERM always do. */
  signal?: AbortSignal;
  /** Called once the server is listening. */
  ready?: (s: LocalAws) => void;
  /** Request log lines go to stderr when true (a TTY). */
  verbose?: boolean;
}

/** `$XDG_STATE_HOME/totp-fob/local-aws.json` (XDG default ~/.local/state). */
export function defaultStatePath(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'local-aws.json');
}

function number(flag: string, v: number | string | undefined, ok: (n: number) => boolean,
  want: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || !ok(n)) throw new LocalAwsError('E_USAGE', `${flag} wants ${want}, got '${v}'`);
  return n;
}

/**
 * ResyncMFADevice's reach: --resync-window, else PROVISION_LOCAL_RESYNC_WINDOW (which `--local`
 * reads too), else the default ±20 steps.
 */
export function resyncWindowOf(flag: number | string | undefined, env: NodeJS.ProcessEnv): number | undefined {
  const [name, v] = flag !== undefined ? ['--resync-window', flag] : ['PROVISION_LOCAL_RESYNC_WINDOW',
    env.PROVISION_LOCAL_RESYNC_WINDOW || undefined];
  return number(name, v, (n) => Number.isInteger(n) && n >= 1 && n <= MAX_RESYNC_STEPS,
    `whole steps either side of now, 1 to ${MAX_RESYNC_STEPS} (a day)`);
}

/** The text `provision local-aws` prints: where it listens and the config that points the AWS CLI at it. */
export function banner(s: LocalAws): string {
  const f = s.fixture;
  const serial = mfaSerial(f.accountId, '/service-user/', f.userName);
  return [
    `local IAM/STS on ${s.endpoint} (account ${f.accountId}); Ctrl-C stops it`,
    `access key ${f.accessKeyId} for ${f.userArn} (policy SelfManageMFA: its own MFA device)`,
    `admin key ${f.adminAccessKeyId} for ${f.adminUserArn} (AdministratorAccess: setup work)`,
    s.open ? 'policies NOT enforced (--open): every signed caller may call every action'
      : 'identity policies enforced, as IAM does (--open turns that off)',
    '',
    '# ~/.aws/credentials',
    `[${f.userName}]`,
    `aws_access_key_id = ${f.accessKeyId}`,
    `aws_secret_access_key = ${f.secretAccessKey}`,
    '',
    `[${f.adminUserName}]`,
    `aws_access_key_id = ${f.adminAccessKeyId}`,
    `aws_secret_access_key = ${f.adminSecretAccessKey}`,
    '',
    '# ~/.aws/config',
    `[profile ${f.userName}]`,
    'region = us-east-1',
    `endpoint_url = ${s.endpoint}`,
    '',
    `[profile ${f.adminUserName}]`,
    'region = us-east-1',
    `endpoint_url = ${s.endpoint}`,
    '',
    '[profile kjh-DuperRole]',
    `role_arn = ${f.roleArn}`,
    `source_profile = ${f.userName}`,
    `mfa_serial = ${serial}`,
    'region = us-east-1',
    `endpoint_url = ${s.endpoint}`,
    '',
    '# or, for tools that ignore endpoint_url in the config:',
    `export AWS_ENDPOINT_URL_IAM=${s.endpoint} AWS_ENDPOINT_URL_STS=${s.endpoint}`,
    '',
  ].join('\n');
}

/** Runs the command to completion; resolves to the exit code (0 stopped by a signal, 1 failed, 2 usage). */
export async function runLocalAwsCommand(opts: LocalAwsCommandOptions, io: CommandIo): Promise<number> {
  const env = io.env ?? process.env;
  let server: LocalAws;
  let clock: HostClock;
  try {
    const port = number('--port', opts.port ?? DEFAULT_PORT, (n) => Number.isInteger(n) && n >= 0 && n <= 65535,
      'a port number 0-65535 (0 = any free port)');
    const throttle = number('--throttle', opts.throttle, (n) => n > 0, 'a positive number of requests per second');
    const resyncWindow = resyncWindowOf(opts.resyncWindow, env);
    clock = hostClock(env.TOTP_FOB_NOW);
    server = await startLocalAws({
      statePath: opts.state ?? defaultStatePath(env), port, clock,
      ...(throttle !== undefined ? { throttle } : {}),
      ...(resyncWindow !== undefined ? { resyncWindow } : {}),
      ...(opts.open ? { open: true } : {}),
      ...(io.verbose ? { log: (l: string) => io.stderr.write(`local-aws: ${l}\n`) } : {}),
    });
  } catch (e) {
    const usage = (e as { code?: string }).code === 'E_USAGE' || (e as { code?: string }).code === 'E_TIME';
    io.stderr.write(`provision local-aws: ${(e as Error).message}\n`);
    return usage ? 2 : 1;
  }
  // The signals are ours before the ready line goes out: whoever reads it may send SIGTERM at once,
  // and a process descheduled between its write and its sigaction would die of the default action.
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    io.signal?.addEventListener('abort', stop, { once: true });
    if (io.signal?.aborted) stop();
  });
  if (opts.json) io.stdout.write(JSON.stringify({ endpoint: server.endpoint, ...server.fixture, open: server.open }) +
    '\n');
  else io.stdout.write(banner(server));
  io.ready?.(server);
  await stopped;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  await server.close();
  return 0;
}

export { startLocalAws, localAwsHolder } from './server.js';
