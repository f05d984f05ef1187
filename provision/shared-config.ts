// The AWS shared config and credentials files (~/.aws/config, ~/.aws/credentials), read the way
// the SDK reads them, without the SDK: a cached session is answered before it loads.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { homeDir } from '../lib/paths.js';

export const configFile = (env: NodeJS.ProcessEnv) => env.AWS_CONFIG_FILE || join(homeDir(env), '.aws', 'config');
export const credentialsFile = (env: NodeJS.ProcessEnv) => env.AWS_SHARED_CREDENTIALS_FILE ||
  join(homeDir(env), '.aws', 'credentials');

/** A file's text, or '' when it cannot be read or is not a plausible ini file (over 1 MB). */
function text(file: string): string {
  let fd: number;
  try { fd = openSync(file, 'r'); } catch { return ''; }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > 1 << 20) return '';
    const buf = Buffer.alloc(st.size);
    let n = 0;
    for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, n)) > 0;) n += r;
    return buf.toString('utf8', 0, n);
  } catch { return ''; } finally { closeSync(fd); }
}

/** The `key = value` lines (keys lower-cased; the first of a key wins) of the sections named `names`. */
function section(file: string, names: (head: string) => boolean): Map<string, string> {
  const out = new Map<string, string>();
  let inside = false;
  for (const line of text(file).split(/\r?\n/)) {
    const head = /^\s*\[\s*([^\]]+?)\s*\]/.exec(line);
    if (head) { inside = names(head[1]!.replace(/\s+/g, ' ')); continue; }
    const kv = inside ? /^([\w.-]+)\s*=\s*(.*?)\s*$/.exec(line) : null;
    if (kv && !out.has(kv[1]!.toLowerCase())) out.set(kv[1]!.toLowerCase(), kv[2]!);
  }
  return out;
}

const inConfig = (profile: string, env: NodeJS.ProcessEnv) =>
  section(configFile(env), (h) => h.replace(/^profile /, '') === profile);

/**
 * Where each service goes: --endpoint-url, then AWS_ENDPOINT_URL_<SVC>, then AWS_ENDPOINT_URL, then
 * the profile's `endpoint_url` (what `provision local-aws` prints; the AWS CLI reads it too).
 */
export function endpointsOf(o: {
  profile?: string; endpointUrl?: string; credentials?: unknown; env?: NodeJS.ProcessEnv }): {
  iam?: string; sts?: string } {
  const env = o.env ?? process.env;
  const profile = o.profile || (o.credentials ? undefined : env.AWS_PROFILE);
  const fromProfile = profile ? inConfig(profile, env).get('endpoint_url') || undefined : undefined;
  const pick = (svc: string) => o.endpointUrl || env[`AWS_ENDPOINT_URL_${svc}`] || env.AWS_ENDPOINT_URL ||
    fromProfile || undefined;
  return { iam: pick('IAM'), sts: pick('STS') };
}

/**
 * The access key id the SDK's default chain would sign with, when the environment or a profile's
 * static keys give it; undefined when only the SDK can tell (SSO, a role or credential_process
 * profile, instance metadata).
 */
export function staticKeyId(profile: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const named = profile || env.AWS_PROFILE;
  // With a profile named, the chain skips the environment's keys.
  if (!named && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) return env.AWS_ACCESS_KEY_ID;
  const p = named || 'default';
  // The credentials file wins over the config file for the same profile.
  const all = new Map([...inConfig(p, env), ...section(credentialsFile(env), (h) => h === p)]);
  for (const k of all.keys()) if (/^(role_arn|source_profile|credential_process|web_identity_token_file|sso_.*)$/.test(
    k)) return undefined;
  const id = all.get('aws_access_key_id');
  return id && all.get('aws_secret_access_key') ? id : undefined;
}
