// The access code: YKOATH's key K = PBKDF2-HMAC-SHA1(code, salt, 1000, 16), a mutual
// HMAC challenge-response, and Nitrokey's persisted retry counter (8 tries, then wipe).
import { nodeCrypto } from './node-crypto.js';
import { SW, SwError, type Command } from './apdu.js';
import { FirmwareError } from './errors.js';
import { deriveSealKey, openSecret, sameKcv, sealSecret, type SealKey } from './seal.js';
import { change, requireAuth, type Ctx } from './session.js';
import { MAX_RETRIES, type State } from './store.js';
import { parseTlvs, take, tlv, TAG } from './tlv.js';

/** The same bytes ykman derives from a password (yubikit oath `_derive_key`). */
export const accessKey = (code: string, salt: Uint8Array): Uint8Array =>
  new Uint8Array(nodeCrypto().pbkdf2Sync(Buffer.from(code, 'utf8'), salt, 1000, 16, 'sha1'));

const hmacSha1 = (k: Uint8Array, m: Uint8Array) => new Uint8Array(nodeCrypto().createHmac('sha1', k).update(m).digest());
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && nodeCrypto().timingSafeEqual(a, b);

/** Factory state, keeping identity and clock: YKOATH RESET, and what 0 tries left does. */
export function wipe(s: State): void {
  s.credentials = [];
  s.salt = nodeCrypto().randomBytes(8).toString('hex'); // a YubiKey's device id changes on reset too
  s.access = { kcv: null, sealSalt: nodeCrypto().randomBytes(16).toString('hex'), retries: MAX_RETRIES };
}

/** One wrong try: persisted before anything is answered, and at 0 the device wipes itself. */
async function spendTry(ctx: Ctx): Promise<number> {
  const { result } = await change(ctx, (s) => {
    if (s.access.kcv === null) return 0;
    s.access.retries = Math.max(0, s.access.retries - 1);
    const left = s.access.retries;
    if (left === 0) wipe(s);
    return left;
  });
  if (result === 0) { ctx.key = null; ctx.seal = null; ctx.session = { challenge: null, authed: false }; }
  return result;
}

async function refill(ctx: Ctx): Promise<void> {
  await change(ctx, (s) => { if (s.access.kcv !== null) s.access.retries = MAX_RETRIES; });
}

/** Power-on with an access code: K and the sealing key go to RAM, or a try is spent. */
export async function unlockAtBoot(ctx: Ctx, s: State, code: string): Promise<void> {
  if (s.access.kcv === null) return;
  const key = accessKey(code, Buffer.from(s.salt, 'hex'));
  const seal = await deriveSealKey(key, Buffer.from(s.access.sealSalt, 'hex'));
  if (!sameKcv(seal.kcv, s.access.kcv)) {
    const left = await spendTry(ctx);
    if (left === 0) {
      throw new FirmwareError('E_WIPED', 'wrong access code and no tries left: the device has wiped every credential (it keeps its serial and clock)', { triesLeft: 0 });
    }
    throw new FirmwareError('E_ACCESS', `wrong access code: ${left} ${left === 1 ? 'try' : 'tries'} left before the device wipes every credential`, { sw: SW.TRIES_LEFT | left, triesLeft: left });
  }
  ctx.key = key;
  ctx.seal = seal;
  if (s.access.retries < MAX_RETRIES) await refill(ctx);
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
      f.access = { ...f.access, kcv: null, retries: MAX_RETRIES };
    });
    ctx.key = null;
    ctx.seal = null;
    return new Uint8Array(0);
  }
  const chal = take(items, 1, TAG.CHALLENGE), resp = take(items, 2, TAG.RESPONSE);
  // The algorithm is the low nibble (ykman sends 0x21, TOTP|SHA1); only HMAC-SHA1 keys exist.
  if (items.length !== 3 || (k[0]! & 0x0f) !== 0x01 || k.length !== 17 || chal.length < 1 || chal.length > 64) {
    throw new SwError(SW.WRONG_DATA);
  }
  const key = k.slice(1);
  if (!same(resp, hmacSha1(key, chal))) throw new SwError(SW.NO_SUCH_OBJECT);
  const sealSalt = nodeCrypto().randomBytes(16);
  const seal = await deriveSealKey(key, sealSalt);
  await change(ctx, (f) => {
    requireAuth(ctx, f);
    reseal(f, ctx.seal, seal);
    f.access = { kcv: seal.kcv, sealSalt: sealSalt.toString('hex'), retries: MAX_RETRIES };
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
  if (items.length !== 2 || resp.length !== 20 || chal.length < 1 || chal.length > 64) throw new SwError(SW.WRONG_DATA);
  const mine = ctx.session.challenge;
  if (s.access.kcv === null || !mine) throw new SwError(SW.NO_SUCH_OBJECT);
  // Without K in RAM (booted without the code) the answer cannot be checked at all.
  if (!ctx.key || !ctx.seal || !sameKcv(ctx.seal.kcv, s.access.kcv)) throw new SwError(SW.AUTH_REQUIRED);
  ctx.session.challenge = null; // one answer per challenge: no replays, no free retries
  if (!same(resp, hmacSha1(ctx.key, mine))) {
    const left = await spendTry(ctx);
    throw new SwError(SW.TRIES_LEFT | left);
  }
  ctx.session.authed = true;
  if (s.access.retries < MAX_RETRIES) await refill(ctx);
  return tlv(TAG.RESPONSE, hmacSha1(ctx.key, chal));
}
