// `provision session` / `assume-role`: an MFA session broker. One code buys a GetSessionToken
// session for the serial (cached per serial, endpoint and source key); roles are assumed from it
// without another code, as AWS carries the MFA context of a GetSessionToken session into
// AssumeRole. Answers are cached until a refresh window before expiry, and processes asking for
// the same key take one lock, so eight at once spend one code and make one session.
import type { STSClient } from '@aws-sdk/client-sts';
import { chmodHint } from '../lib/files.js';
import { call, isAws } from './aws.js';
import { cacheDir, dropEntry, entryPath, fresh, lockEntry, readEntry, REFRESH_WINDOW, writeEntry, type Creds,
  type Entry, type Key } from './cache.js';
import { countdown, localStatePath, type ProvisionCtx } from './context.js';
import { ProvisionError, usage } from './errors.js';
import { endpointOf, mfaKey, resultKey, ROLE_DEFAULT, type SessionOptions, type SessionResult } from './cache-hit.js';
import { credentialFor, readMapping } from './mapping.js';
import { staticKeyId } from './shared-config.js';

export type { SessionOptions, SessionResult } from './cache-hit.js';

/** Role chaining (a role's credentials assuming a role) is capped at one hour (AssumeRole API reference). */
const CHAIN_MAX = 3600;
/** A code that is needed waits for the next unspent step: one period, and a little for the clock. */
const WAIT_MAX = 40;
/** Waiters for a key wait this long for its holder, which may itself wait out a step and retries. */
const LOCK_WAIT_MS = 180_000;

const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/(?:[\x21-\x7e]*\/)?[\w+=,.@-]{1,64}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const SERIAL = /^[\w+=/:,.@-]{9,256}$/;

/**
 * What STS would refuse, refused here first: a refused call has already spent the code it carried,
 * and the next call would wait a whole step for nothing.
 */
export function checkSession(o: SessionOptions): void {
  if (o.role !== undefined && !ROLE_ARN.test(o.role)) {
    throw usage(`'${o.role}' is not a role ARN: it looks like arn:aws:iam::123456789012:role/NAME`);
  }
  if (o.sessionName !== undefined && !SESSION_NAME.test(o.sessionName)) {
    throw usage(
      `--session-name '${o.sessionName}' must be 2 to 64 characters of letters, digits and +=,.@_- (RoleSessionName)`);
  }
  if (o.externalId !== undefined && !EXTERNAL_ID.test(o.externalId)) {
    throw usage(`--external-id must be 2 to 1224 characters of letters, digits and +=,.@:/_- (ExternalId)`);
  }
  if (o.serial !== undefined && !SERIAL.test(o.serial)) {
    throw usage(
      `--serial '${o.serial}' is not an MFA serial: an ARN like arn:aws:iam::123456789012:mfa/NAME, or a hardware ` +
      `serial`);
  }
  if (o.duration !== undefined) {
    const [lo, hi, what] = o.role ? [900, 43200, 'AssumeRole'] : [900, 129600, 'GetSessionToken'];
    if (o.duration < lo || o.duration > hi) throw usage(
      `--duration ${o.duration}: ${what} takes ${lo} to ${hi} seconds`);
  }
  if (o.role === undefined && (o.sessionName !== undefined || o.externalId !== undefined || o.direct)) {
    throw usage(
      `${o.sessionName !== undefined ? '--session-name' : o.externalId !== undefined ? '--external-id' : '--direct'} ` +
      `needs --role`);
  }
  if (o.mfa === false && (o.serial !== undefined || o.credential !== undefined)) throw usage(
    '--no-mfa sends no code: drop --serial and --credential');
}

/** The caller's MFA serial that the attached token holds, via ListMFADevices and the mapping. */
export async function findSerial(ctx: ProvisionCtx): Promise<string> {
  const { arn } = await ctx.caller();
  const m = /^arn:[\w-]+:iam::\d+:user\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (!m) throw new ProvisionError('E_USAGE', `the caller ${arn} is not an IAM user: pass --serial ARN`, 2);
  const { aws } = ctx;
  const r = await call('ListMFADevices', aws.iam.send(new aws.I.ListMFADevicesCommand({ UserName: m[1] })));
  const token = await ctx.token();
  const map = readMapping(ctx.mappingPath);
  const mine = (r.MFADevices ?? []).map((d) => d.SerialNumber!).filter((s) => map[s]?.token === token.serial);
  if (mine.length === 1) return mine[0]!;
  if (mine.length === 0) throw new ProvisionError('E_NO_MAPPING',
    `none of ${m[1]}'s MFA devices is on token ${token.serial}: pass --serial ARN (and --credential ID)`);
  throw new ProvisionError('E_USAGE',
    `${m[1]} has ${mine.length} MFA devices on token ${token.serial} (${mine.join(', ')}): pass --serial ARN`, 2);
}

interface Code { serial: string; code: string; step: number; user?: string }

/** The token's code for the serial, once: a step already handed out waits for the next, bounded. */
async function spendCode(ctx: ProvisionCtx, o: SessionOptions): Promise<Code> {
  const serial = o.serial ?? await findSerial(ctx);
  const { token, id, entry } = await credentialFor(ctx, serial, o.credential);
  const t0 = ctx.clock.now();
  let stop: (() => void) | undefined;
  const onWait = (left: number) => {
    if (ctx.clock.now() - t0 > WAIT_MAX) {
      throw new ProvisionError('E_TIMEOUT',
        `no unspent TOTP step of '${id}' came within ${WAIT_MAX} s: is another process spending its codes? Run again`);
    }
    if (stop) return;
    const why = 'the token hands each step\'s code out once, and this one is spent';
    // Under credential_process stderr is captured: one line saying why, and nothing drawn.
    if (ctx.io.tty && !ctx.clock.fixed) stop = countdown(ctx, left, (s) =>
      `waiting ${s} s for the next TOTP step: ${why}`);
    else { ctx.io.warn(`waiting ${left} s for the next TOTP step: ${why}`); stop = () => {}; }
  };
  try {
    const c = await token.code(id, { fresh: true, onWait });
    return { serial, code: c.code, step: c.step, ...(entry?.user ? { user: entry.user } : {}) };
  } finally { stop?.(); }
}

function creds(c: {
  AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string; Expiration?: Date } | undefined): Creds {
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new ProvisionError('E_AWS', 'STS answered without credentials');
  return {
    AccessKeyId: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken ?? '',
    Expiration: c.Expiration ? c.Expiration.toISOString() : '',
  };
}

const result = (e: Entry, cached: boolean, step?: number): SessionResult => ({
  ...e.Credentials, ...(e.AssumedRoleUser ? { assumedRoleArn: e.AssumedRoleUser.Arn } : {}),
  ...(e.SerialNumber ? { serialNumber: e.SerialNumber } : {}), ...(step !== undefined ? { step } : {}), cached,
});

/** The cache as one command sees it: off with --no-cache. */
class Cache {
  readonly dir: string;
  constructor(private readonly ctx: ProvisionCtx, readonly on: boolean, private readonly window: number) {
    this.dir = cacheDir(ctx.env); }

  /** A fresh entry, or null. A file others can read is refused; a corrupt one is dropped with one warning. */
  get(key: Key): Entry | null {
    if (!this.on) return null;
    const path = entryPath(this.dir, key);
    const r = readEntry(path, key);
    if (r.kind === 'open') {
      throw new ProvisionError('E_STATE',
        `${path} holds session credentials but others can read it (mode ${r.mode.toString(8)}): ${chmodHint(path)}, ` +
        `or provision session --clear-cache`);
    }
    if (r.kind === 'bad') {
      this.ctx.io.warn(`dropped the cached session ${path} (${r.why}); getting a new one`);
      dropEntry(path);
      return null;
    }
    return r.kind === 'hit' && fresh(r.entry.Credentials, this.window, this.ctx.clock.now()) ? r.entry : null;
  }

  async put(e: Entry): Promise<void> { if (this.on) await writeEntry(entryPath(this.dir, e.Key), e); }
  drop(key: Key): void { if (this.on) dropEntry(entryPath(this.dir, key)); }

  /** The entry for `key`, made by `make` under its lock unless a fresh one is there (before or after the wait). */
  async through(key: Key, make: () => Promise<{ entry: Entry; step?: number }>): Promise<{
    entry: Entry; cached: boolean; step?: number }> {
    const had = this.get(key);
    if (had) return { entry: had, cached: true };
    const lock = this.on ? await lockEntry(entryPath(this.dir, key), LOCK_WAIT_MS) : null;
    try {
      const now = this.get(key);
      if (now) return { entry: now, cached: true };
      const made = await make();
      await this.put(made.entry);
      return { ...made, cached: false };
    } finally { await lock?.release(); }
  }
}

/** Removes every cached session; returns the directory and how many entries went. */
export async function clearSessions(env: NodeJS.ProcessEnv): Promise<{ dir: string; removed: number }> {
  const { clearCache } = await import('./cache.js');
  const dir = cacheDir(env);
  return { dir, removed: clearCache(dir) };
}

export async function startSession(ctx: ProvisionCtx, o: SessionOptions): Promise<SessionResult> {
  checkSession(o);
  const { aws, env } = ctx;
  if (o.mfa === false) return noMfa(ctx, o);
  const own = await call(o.role ? 'AssumeRole' : 'GetSessionToken', aws.sts.config.credentials());
  const source = ctx.local ? ctx.local.fixture.accessKeyId : staticKeyId(o.profile, env) ?? own.accessKeyId;
  const endpoint = ctx.local ? `local:${localStatePath(env)}` : endpointOf(o, env);
  const cache = new Cache(ctx, o.cache !== false, o.refreshWindow ?? REFRESH_WINDOW);
  const key = resultKey(o, env, endpoint, source);

  // GetSessionToken: the MFA session is the answer.
  if (!o.role) {
    const r = await cache.through(key, async () => {
      const c = await spendCode(ctx, o);
      const out = await call('GetSessionToken', aws.sts.send(new aws.S.GetSessionTokenCommand({
        ...(o.duration ? { DurationSeconds: o.duration } : {}), SerialNumber: c.serial, TokenCode: c.code,
      })), { serial: c.serial, mfa: true, user: c.user });
      return { entry: { Version: 1, Key: key, Credentials: creds(out.Credentials), SerialNumber: c.serial },
        step: c.step };
    });
    return result(r.entry, r.cached, r.step);
  }

  // Session credentials cannot call GetSessionToken: from them, the role is assumed with the code.
  const direct = !!o.direct || !!own.sessionToken;
  if (own.sessionToken && (o.duration ?? ROLE_DEFAULT) > CHAIN_MAX && !cache.get(key)) {
    const { arn } = await ctx.caller();
    if (/:assumed-role\//.test(arn)) throw usage(
      `--duration ${o.duration}: ${arn} is a role session, and a role assumed from one (role chaining) lasts at most ` +
      `${CHAIN_MAX} s`);
  }
  const assume = (sts: STSClient, c?: Code) => call('AssumeRole', sts.send(new aws.S.AssumeRoleCommand({
    RoleArn: o.role, RoleSessionName: o.sessionName ?? `provision-${Math.floor(ctx.clock.now())}`,
    ...(o.duration ? { DurationSeconds: o.duration } : {}),
      ...(o.externalId !== undefined ? { ExternalId: o.externalId } : {}),
    ...(c ? { SerialNumber: c.serial, TokenCode: c.code } : {}),
  })), { serial: c?.serial ?? o.serial, mfa: true, user: c?.user });
  const entry = (out: Awaited<ReturnType<typeof assume>>, serial: string): Entry => ({
    Version: 1, Key: key, Credentials: creds(out.Credentials), AssumedRoleUser: { Arn: out.AssumedRoleUser?.Arn ?? '' },
      SerialNumber: serial,
  });

  const r = await cache.through(key, async () => {
    if (direct) {
      const c = await spendCode(ctx, o);
      return { entry: entry(await assume(aws.sts, c), c.serial), step: c.step };
    }
    const mk = mfaKey(o, env, endpoint, source);
    const mfa = () => cache.through(mk, async () => {
      const c = await spendCode(ctx, o);
      const out = await call('GetSessionToken',
        aws.sts.send(new aws.S.GetSessionTokenCommand({ SerialNumber: c.serial, TokenCode: c.code })),
        { serial: c.serial, mfa: true, user: c.user });
      return { entry: { Version: 1, Key: mk, Credentials: creds(out.Credentials), SerialNumber: c.serial },
        step: c.step };
    });
    const fromMfa = async (m: Awaited<ReturnType<typeof mfa>>) => {
      const sts = await stsAs(ctx, m.entry.Credentials);
      try {
        return { entry: entry(await assume(sts), m.entry.SerialNumber ?? ''),
          ...(m.step !== undefined ? { step: m.step } : {}) };
      } finally { sts.destroy(); }
    };
    const m = await mfa();
    try { return await fromMfa(m); } catch (e) {
      // A cached MFA session STS no longer takes (expired early, revoked): dropped, and once more with a new one.
      if (!m.cached || !(isAws(e, 'ExpiredToken') || isAws(e, 'InvalidClientTokenId'))) throw e;
      ctx.io.warn(
        `STS refused the cached MFA session ` +
        `(${e instanceof Error ? e.message.replace(/^AssumeRole: /, '').split(':')[0] : e}): getting a new one`);
      cache.drop(mk);
      return fromMfa(await mfa());
    }
  });
  return result(r.entry, r.cached, r.step);
}

/** An STS client like the command's, signing with the MFA session's credentials. */
async function stsAs(ctx: ProvisionCtx, c: Creds): Promise<STSClient> {
  const { aws } = ctx;
  const region = await aws.sts.config.region();
  return new aws.S.STSClient({
    region, maxAttempts: 4, ...(aws.endpoints.sts ? { endpoint: aws.endpoints.sts } : {}),
    credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken },
  });
}

/** --no-mfa: the call as it is without a code, to see what the policy says; never cached. */
async function noMfa(ctx: ProvisionCtx, o: SessionOptions): Promise<SessionResult> {
  const { aws } = ctx;
  const dur = o.duration ? { DurationSeconds: o.duration } : {};
  if (o.role) {
    const out = await call('AssumeRole', aws.sts.send(new aws.S.AssumeRoleCommand({
      RoleArn: o.role, RoleSessionName: o.sessionName ?? `provision-${Math.floor(ctx.clock.now())}`, ...dur,
      ...(o.externalId !== undefined ? { ExternalId: o.externalId } : {}),
    })), { mfa: false });
    return { ...creds(out.Credentials), assumedRoleArn: out.AssumedRoleUser?.Arn, cached: false };
  }
  const out = await call('GetSessionToken', aws.sts.send(new aws.S.GetSessionTokenCommand(dur)), { mfa: false });
  return { ...creds(out.Credentials), cached: false };
}
