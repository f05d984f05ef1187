// `provision session` / `assume-role` answered from the cache before commander or the AWS SDK
// loads: a credential_process runs once per `aws` call, so a hit must cost about what bare node
// does. Only plain argv shapes are taken; anything else (a flag this parser does not know, a
// missing or odd value, --local, a stale, corrupt or open entry) goes to the full program, which
// answers it the same way or says what is wrong.
import { devicePath } from '../lib/paths.js';
import { cacheDir, entryPath, fresh, parseWindow, readEntry, REFRESH_WINDOW, type Creds, type Key } from './cache.js';
import { endpointsOf, staticKeyId } from './shared-config.js';

/** `session` / `assume-role` options as commander gives them (and as this parser rebuilds them). */
export interface SessionOptions {
  role?: string;
  serial?: string;
  credential?: string;
  sessionName?: string;
  duration?: number;
  externalId?: string;
  refreshWindow?: number;
  credentialProcess?: boolean;
  json?: boolean;
  profile?: string;
  region?: string;
  endpointUrl?: string;
  device?: string;
  local?: boolean;
  /** --no-mfa */
  mfa?: boolean;
  /** --no-cache */
  cache?: boolean;
  direct?: boolean;
}

export interface SessionResult extends Creds {
  assumedRoleArn?: string;
  serialNumber?: string;
  /** The TOTP step of the code this call spent; absent when it spent none. */
  step?: number;
  /** Served from the cache, no STS call made. */
  cached: boolean;
}

/** GetSessionToken's and AssumeRole's default DurationSeconds (STS API reference). */
export const SESSION_DEFAULT = 43200;
export const ROLE_DEFAULT = 3600;

/** The endpoint a key names: the STS URL in use, or AWS's regional one. */
export function endpointOf(o: SessionOptions, env: NodeJS.ProcessEnv): string {
  const url = endpointsOf({ profile: o.profile, endpointUrl: o.endpointUrl, env }).sts;
  return url ?? `https://sts.${o.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1'}.amazonaws.com`;
}

/** The serial part of a key: the one given, else the token whose credential for the caller's device answers. */
const serialPart = (o: SessionOptions, env: NodeJS.ProcessEnv) =>
  o.serial ? { SerialNumber: o.serial } : { Device: devicePath(o.device, env) };

/** The key of the MFA session (GetSessionToken with a code) for this serial, endpoint and source. */
export function mfaKey(o: SessionOptions, env: NodeJS.ProcessEnv, endpoint: string, source: string,
  duration = SESSION_DEFAULT): Key {
  return { Op: 'GetSessionToken', ...serialPart(o, env), DurationSeconds: duration, Endpoint: endpoint,
    SourceAccessKeyId: source };
}

/** The key of what the command prints: the role's credentials, or the MFA session itself. */
export function resultKey(o: SessionOptions, env: NodeJS.ProcessEnv, endpoint: string, source: string): Key {
  if (!o.role) return mfaKey(o, env, endpoint, source, o.duration ?? SESSION_DEFAULT);
  return {
    Op: 'AssumeRole', RoleArn: o.role, ...serialPart(o, env), DurationSeconds: o.duration ?? ROLE_DEFAULT,
    ...(o.externalId !== undefined ? { ExternalId: o.externalId } : {}),
    ...(o.sessionName !== undefined ? { RoleSessionName: o.sessionName } : {}),
    Endpoint: endpoint, SourceAccessKeyId: source,
  };
}

/** The AWS CLI's credential_process contract: Version 1, keys, optional token and ISO expiry. */
export function credentialProcess(s: SessionResult): string {
  return JSON.stringify({
    Version: 1, AccessKeyId: s.AccessKeyId, SecretAccessKey: s.SecretAccessKey,
    ...(s.SessionToken ? { SessionToken: s.SessionToken } : {}),
    ...(s.Expiration ? { Expiration: s.Expiration } : {}),
  });
}

/** `eval "$(provision session)"`. */
export function shellExports(s: SessionResult): string[] {
  const q = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  return [
    `export AWS_ACCESS_KEY_ID=${q(s.AccessKeyId)}`,
    `export AWS_SECRET_ACCESS_KEY=${q(s.SecretAccessKey)}`,
    `export AWS_SESSION_TOKEN=${q(s.SessionToken)}`,
    `# expires ${s.Expiration}${s.assumedRoleArn ? `; ${s.assumedRoleArn}` : ''}${s.cached ? ' (cached)' : ''}`,
  ];
}

/** What the command prints for `s`, in the form its flags ask for. */
export function render(s: SessionResult, o: SessionOptions): string {
  if (o.credentialProcess) return credentialProcess(s);
  if (o.json) return JSON.stringify(s);
  return shellExports(s).join('\n');
}

const VALUED = ['role', 'serial', 'credential', 'session-name', 'duration', 'external-id', 'refresh-window', 'profile',
  'region', 'endpoint-url', 'device'];
const camel = (f: string) => f.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

/** The options of a plain `session …` / `assume-role ARN …` argv, or null for anything else. */
export function parseSession(argv: readonly string[]): SessionOptions | null {
  const o: Record<string, unknown> = {};
  let cmd: string | undefined, positional: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--credential-process' || a === '--json') { o[camel(a.slice(2))] = true; continue; }
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(a);
    if (m) {
      if (!VALUED.includes(m[1]!) || o[camel(m[1]!)] !== undefined) return null;
      const v = m[2] ?? argv[++i];
      if (v === undefined || v === '' || (m[2] === undefined && v.startsWith('-'))) return null;
      o[camel(m[1]!)] = v;
      continue;
    }
    if (a.startsWith('-')) return null;
    if (!cmd) { if (a !== 'session' && a !== 'assume-role') return null; cmd = a; continue; }
    if (cmd !== 'assume-role' || positional !== undefined) return null;
    positional = a;
  }
  // assume-role takes the role as its argument, session as --role.
  if (!cmd || (cmd === 'assume-role') !== (positional !== undefined) ||
    (positional !== undefined && o.role !== undefined)) return null;
  if (positional !== undefined) o.role = positional;
  if (o.duration !== undefined) {
    if (!/^\d{3,6}$/.test(o.duration as string)) return null;
    o.duration = Number(o.duration);
  }
  if (o.refreshWindow !== undefined) {
    const w = parseWindow(o.refreshWindow as string);
    if (w === null) return null;
    o.refreshWindow = w;
  }
  return o as SessionOptions;
}

/**
 * Prints the cached answer and returns true, or returns false (nothing printed) when only the full
 * program can answer: it then reads the same entry again and says what it finds.
 */
export function fastSession(argv: readonly string[], env: NodeJS.ProcessEnv, now: number): boolean {
  if (env.PROVISION_LOCAL === '1') return false;
  const o = parseSession(argv);
  if (!o) return false;
  const source = staticKeyId(o.profile, env);
  if (!source) return false;
  const key = resultKey(o, env, endpointOf(o, env), source);
  const r = readEntry(entryPath(cacheDir(env), key), key);
  if (r.kind !== 'hit' || !fresh(r.entry.Credentials, o.refreshWindow ?? REFRESH_WINDOW, now)) return false;
  const e = r.entry;
  process.stdout.write(`${render({
    ...e.Credentials, ...(e.AssumedRoleUser ? { assumedRoleArn: e.AssumedRoleUser.Arn } : {}),
    ...(e.SerialNumber ? { serialNumber: e.SerialNumber } : {}), cached: true,
  }, o)}\n`);
  return true;
}

