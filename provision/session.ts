// `provision session`: STS temporary credentials with the token's code — GetSessionToken, or
// AssumeRole with --role — for the shell, as JSON, or as an AWS CLI credential_process.
import { call } from './aws.js';
import type { Ctx } from './context.js';
import { credentialFor } from './credential.js';
import { ProvisionError } from './errors.js';
import { readMapping } from './mapping.js';

export interface SessionRequest {
  role?: string;
  serial?: string;
  credential?: string;
  sessionName?: string;
  duration?: number;
  /** Call without a code (to see what the policy says without MFA). */
  noMfa?: boolean;
}

export interface SessionResult {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
  assumedRoleArn?: string;
  serialNumber?: string;
  step?: number;
}

/** The caller's MFA serial that the attached token holds, via ListMFADevices and the mapping. */
export async function findSerial(ctx: Ctx): Promise<string> {
  const { arn } = await ctx.caller();
  const m = /^arn:[\w-]+:iam::\d+:user\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (!m) throw new ProvisionError('E_USAGE', `the caller ${arn} is not an IAM user: pass --serial ARN`, 2);
  const { aws } = ctx;
  const r = await call('ListMFADevices', aws.iam.send(new aws.I.ListMFADevicesCommand({ UserName: m[1] })));
  const token = await ctx.token();
  const map = readMapping(ctx.mappingPath);
  const mine = (r.MFADevices ?? []).map((d) => d.SerialNumber!).filter((s) => map[s]?.token === token.serial);
  if (mine.length === 1) return mine[0]!;
  if (mine.length === 0) throw new ProvisionError('E_NO_MAPPING', `none of ${m[1]}'s MFA devices is on token ${token.serial}: pass --serial ARN (and --credential ID)`);
  throw new ProvisionError('E_USAGE', `${m[1]} has ${mine.length} MFA devices on token ${token.serial} (${mine.join(', ')}): pass --serial ARN`, 2);
}

export async function startSession(ctx: Ctx, r: SessionRequest): Promise<SessionResult> {
  const { aws } = ctx;
  let mfa: { SerialNumber: string; TokenCode: string } | undefined;
  let step: number | undefined;
  let user: string | undefined;
  if (!r.noMfa) {
    const serial = r.serial ?? await findSerial(ctx);
    const { token, id, entry } = await credentialFor(ctx, serial, r.credential);
    user = entry?.user;
    // A code handed out once: STS refuses a reused (serial, step) anyway (aws-iam-mfa.md §3).
    const c = await token.code(id, { fresh: true });
    mfa = { SerialNumber: serial, TokenCode: c.code };
    step = c.step;
  }
  const dur = r.duration ? { DurationSeconds: r.duration } : {};
  if (r.role) {
    const out = await call('AssumeRole', aws.sts.send(new aws.S.AssumeRoleCommand({
      RoleArn: r.role, RoleSessionName: r.sessionName ?? `provision-${Math.floor(ctx.clock.now())}`, ...dur, ...(mfa ?? {}),
    })), { serial: mfa?.SerialNumber, mfa: !!mfa, user });
    return { ...creds(out.Credentials), assumedRoleArn: out.AssumedRoleUser?.Arn, serialNumber: mfa?.SerialNumber, step };
  }
  const out = await call('GetSessionToken', aws.sts.send(new aws.S.GetSessionTokenCommand({ ...dur, ...(mfa ?? {}) })), { serial: mfa?.SerialNumber, mfa: !!mfa, user });
  return { ...creds(out.Credentials), serialNumber: mfa?.SerialNumber, step };
}

function creds(c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string; Expiration?: Date } | undefined) {
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new ProvisionError('E_AWS', 'STS answered without credentials');
  return {
    AccessKeyId: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken ?? '',
    Expiration: c.Expiration ? c.Expiration.toISOString() : '',
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
    `# expires ${s.Expiration}${s.assumedRoleArn ? `; ${s.assumedRoleArn}` : ''}`,
  ];
}
