// The access code: YKOATH's key K = PBKDF2-HMAC-SHA1(code, salt, 1000, 16), a mutual
// HMAC challenge-response, and Nitrokey's persisted retry counter (8 tries, then wipe).
import { nodeCrypto } from '../../lib/builtin.js';
import { parseTlvs, SW, SwError, take, tlv, type Command } from './apdu.js';
import { FirmwareError } from './errors.js';
import {
  deriveSealKey, KDF, LEGACY_KDF, openSecret, sameKcv, sealSecret, weaker, type Kdf, type SealKey,
} from './seal.js';
import { change, requireAuth, type Ctx } from './ram.js';
import { MAX_RETRIES, type State } from './store.js';
import { MAX_CHALLENGE, TAG } from './ykoath.js';

/** The same bytes ykman derives from a password (yubikit oath `_derive_key`). */
export const accessKey = (code: string, salt: Uint8Array): Uint8Array =>
  new Uint8Array(nodeCrypto().pbkdf2Sync(Buffer.from(code, 'utf8'), salt, 1000, 16, 'sha1'));

const hmacSha1 = (k: Uint8Array, m: Uint8Array) =>
  new Uint8Array(nodeCrypto().createHmac('sha1', k).update(m).digest());
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && nodeCrypto().timingSafeEqual(a, b);

/** Factory state, keeping identity and clock: YKOATH RESET, and what 0 tries left does. */
export function wipe(s: State): void {
  s.credentials = [];
  s.salt = nodeCrypto().randomBytes(8).toString('hex'); // a YubiKey's device id changes on reset too
  s.access = { kcv: null, sealSalt: nodeCrypto().randomBytes(16).toString('hex'), retries: MAX_RETRIES };
}

const forget = (ctx: Ctx) => { ctx.key = null; ctx.seal = null; ctx.session = { challenge: null, authed: false }; };

/** What a try was spent against: the code's check value and how to derive it, and the tries left. */
interface Spent { kcv: string; salt: string; sealSalt: string; kdf: Kdf; left: number }

/**
 * The first step of every check of the code, before the code is looked at: one try off the
 * counter, written and fsynced. A process stopped anywhere after this has paid for whatever it
 * learns; one stopped before it has learnt nothing (a smart card's PIN counter). At 0 the device
 * does not wipe yet: the last try may be the right one. Null when no code is set any more.
 */
async function spend(ctx: Ctx): Promise<Spent | null> {
  const { result } = await change(ctx, (f): Spent | null => {
    const a = f.access;
    if (a.kcv === null) return null;
    a.retries = Math.max(0, a.retries - 1);
    return { kcv: a.kcv, salt: f.salt, sealSalt: a.sealSalt, kdf: a.kdf ?? LEGACY_KDF, left: a.retries };
  });
  return result;
}

/** A wrong code on a spent try: at 0 left, the wipe (unless the code changed meanwhile). */
async function refuse(ctx: Ctx, spent: Spent): Promise<void> {
  if (spent.left > 0) return;
  await change(ctx, (f) => { if (f.access.kcv === spent.kcv && f.access.retries === 0) wipe(f); });
  forget(ctx);
}

/**
 * The right code: the tries back to 8. A store sealed at a weaker scrypt cost than today's is
 * re-sealed at today's in the same write (`next`, derived beforehand, outside the lock).
 */
async function restore(ctx: Ctx, seal: SealKey, next?: { seal: SealKey; salt: Buffer }): Promise<void> {
  let upgraded = false;
  await change(ctx, (f) => {
    if (f.access.kcv === null || !sameKcv(f.access.kcv, seal.kcv)) return;
    f.access.retries = MAX_RETRIES;
    if (!next) return;
    // Only when every secret opens: the tries come back whatever becomes of the upgrade.
    const raw = f.credentials.map((c) => openSecret(c.secret, seal));
    if (raw.some((k) => !k)) return;
    f.credentials.forEach((c, i) => { c.secret = sealSecret(raw[i]!, next.seal); raw[i]!.fill(0); });
    f.access = { kcv: next.seal.kcv, sealSalt: next.salt.toString('hex'), retries: MAX_RETRIES, kdf: { ...KDF } };
    upgraded = true;
  });
  if (upgraded) ctx.seal = next!.seal;
}

/**
 * Power-on found the counter at 0 with a code still set: a process spent the last try and was
 * stopped before it could tell right from wrong. That try was not proven right, so the device
 * does what a wrong last try does.
 */
export async function wipeIfSpent(ctx: Ctx, s: State): Promise<void> {
  if (s.access.kcv === null || s.access.retries > 0) return;
  await change(ctx, (f) => { if (f.access.kcv !== null && f.access.retries === 0) wipe(f); });
  throw new FirmwareError('E_WIPED', 'the last access-code try was spent and never proven right ' +
    '(the process was stopped): the device has wiped every credential (it keeps its serial and clock)',
    { triesLeft: 0 });
}

/** Power-on with an access code: K and the sealing key go to RAM, or a try is spent. */
export async function unlockAtBoot(ctx: Ctx, s: State, code: string): Promise<void> {
  if (s.access.kcv === null) return;
  const spent = await spend(ctx);
  if (!spent) return;
  const key = accessKey(code, Buffer.from(spent.salt, 'hex'));
  const seal = await deriveSealKey(key, Buffer.from(spent.sealSalt, 'hex'), spent.kdf);
  if (!sameKcv(seal.kcv, spent.kcv)) {
    await refuse(ctx, spent);
    if (spent.left === 0) {
      throw new FirmwareError('E_WIPED',
        'wrong access code and no tries left: the device has wiped every credential (it keeps its serial and clock)',
        { triesLeft: 0 });
    }
    const left = spent.left;
    throw new FirmwareError('E_ACCESS',
      `wrong access code: ${left} ${left === 1 ? 'try' : 'tries'} left before the device wipes every credential`,
      { sw: SW.TRIES_LEFT | left, triesLeft: left });
  }
  ctx.key = key;
  ctx.seal = seal;
  let next: { seal: SealKey; salt: Buffer } | undefined;
  if (weaker(spent.kdf)) {
    const salt = nodeCrypto().randomBytes(16);
    next = { seal: await deriveSealKey(key, salt, KDF), salt };
  }
  await restore(ctx, seal, next);
}

/** Re-stores every secret under `to` (null = plain); a secret that cannot be opened aborts. */
function reseal(s: State, from: SealKey | null, to: SealKey | null): void {
  for (const c of s.credentials) {
    const raw = openSecret(c.secret, from);
    if (!raw) throw new SwError(SW.FAILED);
    c.secret = sealSecret(raw, to);
  }
}

/**
 * SET CODE 03: `73 11 21 K 74 L chal 75 14 HMAC-SHA1(K, chal)` sets; `73 00` clears.
 * The response proves the host holds K; the secrets are re-sealed in the same write.
 */
export async function setCode(ctx: Ctx, cmd: Command, s: State): Promise<Uint8Array> {
  requireAuth(ctx, s);
  const items = parseTlvs(cmd.data);
  const k = take(items, 0, TAG.KEY);
  if (k.length === 0) {
    if (items.length !== 1) throw new SwError(SW.WRONG_DATA);
    await change(ctx, (f) => {
      requireAuth(ctx, f);
      reseal(f, ctx.seal, null);
      f.access = { kcv: null, sealSalt: f.access.sealSalt, retries: MAX_RETRIES };
    });
    ctx.key = null;
    ctx.seal = null;
    return new Uint8Array(0);
  }
  const chal = take(items, 1, TAG.CHALLENGE), resp = take(items, 2, TAG.RESPONSE);
  // The algorithm is the low nibble (ykman sends 0x21, TOTP|SHA1); only HMAC-SHA1 keys exist.
  const badChallenge = chal.length < 1 || chal.length > MAX_CHALLENGE;
  if (items.length !== 3 || (k[0]! & 0x0f) !== 0x01 || k.length !== 17 || badChallenge) {
    throw new SwError(SW.WRONG_DATA);
  }
  const key = k.slice(1);
  if (!same(resp, hmacSha1(key, chal))) throw new SwError(SW.NO_SUCH_OBJECT);
  const sealSalt = nodeCrypto().randomBytes(16);
  const seal = await deriveSealKey(key, sealSalt, KDF);
  await change(ctx, (f) => {
    requireAuth(ctx, f);
    reseal(f, ctx.seal, seal);
    f.access = { kcv: seal.kcv, sealSalt: sealSalt.toString('hex'), retries: MAX_RETRIES, kdf: { ...KDF } };
  });
  ctx.key = key;
  ctx.seal = seal;
  ctx.session.authed = true;
  return new Uint8Array(0);
}

/**
 * VALIDATE A3: `75 14 HMAC-SHA1(K, SELECT's challenge) 74 L host challenge` →
 * `75 14 HMAC-SHA1(K, host challenge)`. A wrong response spends a try: 63Cx, x tries left.
 */
export async function validate(ctx: Ctx, cmd: Command, s: State): Promise<Uint8Array> {
  const items = parseTlvs(cmd.data);
  const resp = take(items, 0, TAG.RESPONSE), chal = take(items, 1, TAG.CHALLENGE);
  if (items.length !== 2 || resp.length !== 20 || chal.length < 1 || chal.length > MAX_CHALLENGE) {
    throw new SwError(SW.WRONG_DATA);
  }
  const mine = ctx.session.challenge;
  if (s.access.kcv === null || !mine) throw new SwError(SW.NO_SUCH_OBJECT);
  // Without K in RAM (booted without the code) the answer cannot be checked at all.
  if (!ctx.key || !ctx.seal || !sameKcv(ctx.seal.kcv, s.access.kcv)) throw new SwError(SW.AUTH_REQUIRED);
  ctx.session.challenge = null; // one answer per challenge: no replays, no free retries
  const key = ctx.key, seal = ctx.seal;
  const spent = await spend(ctx);
  if (!spent || !sameKcv(spent.kcv, seal.kcv)) throw new SwError(SW.AUTH_REQUIRED);
  if (!same(resp, hmacSha1(key, mine))) {
    await refuse(ctx, spent);
    throw new SwError(SW.TRIES_LEFT | spent.left);
  }
  ctx.session.authed = true;
  await restore(ctx, seal);
  return tlv(TAG.RESPONSE, hmacSha1(key, chal));
}
