// The AWS SDK, loaded only when an action needs it (about 60 ms per process otherwise wasted
// on every `token`-only run, measured against bare node's 60-70 ms).
import type { IAMClient } from '@aws-sdk/client-iam';
import type { STSClient } from '@aws-sdk/client-sts';
import { readFileSync } from 'node:fs';
import { ProvisionError } from './errors.js';
import { hintFor, withHint, type Where } from './hints.js';
import { configFile, credentialsFile, endpointsOf } from './shared-config.js';

export { endpointsOf };

export interface Credentials { accessKeyId: string; secretAccessKey: string; sessionToken?: string }

export interface AwsOptions {
  profile?: string;
  region?: string;
  /** One URL for both services (the local endpoint serves IAM and STS on one port). */
  endpointUrl?: string;
  /** Fixed keys (the local endpoint's fixture); otherwise the SDK's default chain. */
  credentials?: Credentials;
  /** Other fixed keys for IAM alone (`--local`: the administrator's, while STS signs as the seed user). */
  iamCredentials?: Credentials;
  /** Attempts per call, retries included (default 4); throttling backs off (SDK "adaptive" mode). */
  maxAttempts?: number;
  env?: NodeJS.ProcessEnv;
}

export interface Aws {
  iam: IAMClient;
  sts: STSClient;
  I: typeof import('@aws-sdk/client-iam');
  S: typeof import('@aws-sdk/client-sts');
  endpoints: { iam?: string; sts?: string };
  destroy(): void;
}

export async function connect(o: AwsOptions = {}): Promise<Aws> {
  // On Node 20 every new client prints a multi-line NodeVersionSupportWarning to stderr.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [I, S] = await Promise.all([import('@aws-sdk/client-iam'), import('@aws-sdk/client-sts')]);
  const env = o.env ?? process.env;
  const endpoints = endpointsOf(o);
  // IAM is global and signs as us-east-1; STS is regional and any region serves.
  const region = o.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const common = {
    region,
    ...(o.profile ? { profile: o.profile } : {}),
    ...(o.credentials ? { credentials: o.credentials } : {}),
    maxAttempts: o.maxAttempts ?? 4,
    retryMode: 'adaptive',
    requestHandler: { connectionTimeout: 5000, requestTimeout: 30000 },
  };
  const iam = new I.IAMClient({ ...common, region: 'us-east-1', ...(endpoints.iam ? {
    endpoint: endpoints.iam } : {}), ...(o.iamCredentials ? { credentials: o.iamCredentials } : {}) });
  const sts = new S.STSClient({ ...common, ...(endpoints.sts ? { endpoint: endpoints.sts } : {}) });
  // IAM's LimitExceeded is a quota ("beyond the current AWS account limits", e.g. 8 MFA devices per
  // user), not a rate; the SDK's retry lists LimitExceededException among throttling codes
  // (@smithy/core retry constants) and would back off on it for a minute. Name it as sent.
  iam.middlewareStack.add((next) => async (args) => {
    try { return await next(args); } catch (e) {
      if ((e as Error)?.name === 'LimitExceededException') (e as Error).name = 'LimitExceeded';
      throw e;
    }
  }, { step: 'deserialize', priority: 'high', name: 'iamQuotaIsNotThrottling' });
  // The chain's own text ("Could not load credentials from any providers") never names the
  // profile that was asked for, which is usually the whole story.
  const profile = o.profile || (o.credentials ? undefined : env.AWS_PROFILE);
  for (const c of [iam, sts] as { middlewareStack: IAMClient['middlewareStack'] }[]) {
    c.middlewareStack.add((next) => async (args) => {
      try { return await next(args); } catch (e) { throw noCredentials(e, profile, env) ?? e; }
    }, { step: 'initialize', priority: 'high', name: 'nameTheProfile' });
  }
  return { iam, sts, I, S, endpoints, destroy: () => { iam.destroy(); sts.destroy(); } };
}

/** The AWS error code (SDK `name`), e.g. 'InvalidAuthenticationCodeException' or 'AccessDenied'. */
export function awsCode(e: unknown): string | undefined {
  // Service answers carry $fault; network failures carry only $metadata.
  const x = e as { name?: string; Code?: string; $fault?: unknown };
  return x && typeof x === 'object' && '$fault' in x ? (x.Code ?? x.name) : undefined;
}

/**
 * Whether an SDK error, or our wrapping of one, carries AWS error `code`. JS error names carry the
 * model's "Exception" suffix (InvalidAuthenticationCodeException); unmodelled ones do not (AccessDenied).
 */
export const isAws = (e: unknown, code: string) => {
  const c = e instanceof AwsCallError ? e.awsCode : awsCode(e);
  return c === code || c === `${code}Exception`;
};

export class AwsCallError extends ProvisionError {
  constructor(readonly op: string, readonly awsCode: string | undefined, message: string, readonly status?: number,
    /** AWS's own words, without the op, the code or our hint. */
    readonly awsText = '') {
    super('E_AWS', message);
  }
}

/** Runs one SDK call and turns whatever it throws into one line that says what to do. */
export async function call<T>(op: string, p: Promise<T>, where?: Where): Promise<T> {
  try { return await p; } catch (e) { throw explain(op, e, where); }
}

const isNoCredentials = (e: unknown) =>
  (e as Error)?.name === 'CredentialsProviderError' || /Could not load credentials/i.test((e as Error)?.message ?? '');

/** Profiles named in the shared config and credentials files (`[profile X]`, `[default]`, `[X]`). */
function profilesIn(file: string, config: boolean): string[] {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch { return []; }
  return [...text.matchAll(/^\s*\[\s*([^\]]+?)\s*\]/gm)].map((m) =>
    (config ? m[1]!.replace(/^profile\s+/, '') : m[1]!));
}

function noCredentials(e: unknown, profile: string | undefined, env: NodeJS.ProcessEnv): ProvisionError | undefined {
  if (!isNoCredentials(e)) return undefined;
  if (!profile) return new ProvisionError('E_CREDENTIALS',
    'no AWS credentials found: pass --profile, set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use --local');
  const config = configFile(env), creds = credentialsFile(env);
  if (![...profilesIn(config, true), ...profilesIn(creds, false)].includes(profile)) {
    return new ProvisionError('E_CREDENTIALS',
      `profile '${profile}' was not found in ${config} or ${creds}: ` +
      `check its name (\`aws configure list-profiles\`), ` +
      `or set AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE`);
  }
  return new ProvisionError('E_CREDENTIALS',
    `profile '${profile}' gave no credentials: give it aws_access_key_id/aws_secret_access_key in ${creds}, or a ` +
    `source_profile that has them`);
}

export function explain(op: string, e: unknown, where: Where = {}): Error {
  if (e instanceof ProvisionError) return e.code === 'E_CREDENTIALS' && !e.message.startsWith(`${op}:`) ?
    new ProvisionError(e.code, `${op}: ${e.message}`) : e;
  const err = e as Error & { code?: string; $metadata?: { httpStatusCode?: number } };
  const code = awsCode(e);
  if (code) {
    const raw = (err.message || '').replace(/\s+/g, ' ').trim();
    const text = raw === 'UnknownError' ? '' : raw;
    const short = code.replace(/Exception$/, '');
    const said = withHint(text, hintFor(op, short, text, where));
    return new AwsCallError(op, code, `${op}: ${short}${said ? `: ${said}` : ''}`, err.$metadata?.httpStatusCode, text);
  }
  const name = err?.name ?? '';
  if (isNoCredentials(e)) return new ProvisionError('E_CREDENTIALS',
    `${op}: ${noCredentials(e, undefined, {})!.message}`);
  if (err?.code === 'ECONNREFUSED' || err?.code === 'ENOTFOUND' || err?.code === 'ECONNRESET' ||
    name === 'TimeoutError') {
    return new AwsCallError(op, undefined,
      `${op}: cannot reach the endpoint (${err.code ?? name}): check --endpoint-url / AWS_ENDPOINT_URL_IAM / ` +
      `AWS_ENDPOINT_URL_STS, or use --local`);
  }
  return new AwsCallError(op, undefined, `${op}: ${err?.message ?? String(e)}`);
}
