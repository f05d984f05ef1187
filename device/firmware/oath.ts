// The YKOATH applet (CLA 00), byte for byte as ykman 4.0.9 drives a YubiKey 5.7.1.
import { nodeCrypto } from '../../lib/builtin.js';
import { concat, parseTlvs, SW, SwError, take, tlv, type Command } from './apdu.js';
import { setCode, validate, wipe } from './access.js';
import { answer, find, idBytes, periodOf, readId, readNewId, readTypeByte, typeByte } from './credential.js';
import { awaitTouch, nextHotp } from './panel.js';
import { change, load, requireAuth, secretOf, type Ctx } from './ram.js';
import { sealSecret } from './seal.js';
import type { Credential, State } from './store.js';
import { stage } from './vendor.js';
import { AID, CAPACITY, INS, MAX_CHALLENGE, normalizeKey, PROPERTY_TOUCH, TAG } from './ykoath.js';

function select(ctx: Ctx, cmd: Command, s: State): Uint8Array {
  if (cmd.data.length !== AID.length || !cmd.data.every((b, i) => b === AID[i])) throw new SwError(SW.NOT_FOUND);
  const version = s.identity.firmware.split('.').map(Number);
  const parts = [tlv(TAG.VERSION, version), tlv(TAG.NAME, Buffer.from(s.salt, 'hex'))];
  ctx.session = { challenge: null, authed: false };
  ctx.txn = null;
  if (s.access.kcv !== null) {
    // A fresh challenge each SELECT; VALIDATE answers the latest one.
    ctx.session.challenge = new Uint8Array(nodeCrypto().randomBytes(8));
    parts.push(tlv(TAG.CHALLENGE, ctx.session.challenge), tlv(TAG.ALGORITHM, [0x01]));
  }
  return concat(parts);
}

/** PUT 01: `71 id 73 (type|algo) digits key [78 props] [7A 04 counter]`. */
async function put(ctx: Ctx, cmd: Command, s: State): Promise<Uint8Array> {
  requireAuth(ctx, s);
  const items = parseTlvs(cmd.data, [TAG.PROPERTY]);
  const id = readNewId(take(items, 0, TAG.NAME));
  const k = take(items, 1, TAG.KEY);
  if (k.length < 3) throw new SwError(SW.WRONG_DATA);
  const { type, algorithm } = readTypeByte(k[0]!);
  const digits = k[1]!;
  if (digits < 6 || digits > 8) throw new SwError(SW.WRONG_DATA);
  let props = 0, counter = 0;
  const seen = new Set<number>();
  for (const t of items.slice(2)) {
    if (seen.has(t.tag)) throw new SwError(SW.WRONG_DATA);
    seen.add(t.tag);
    if (t.tag === TAG.PROPERTY) props = t.value[0]!;
    else if (t.tag === TAG.IMF && t.value.length === 4) {
      counter = new DataView(t.value.buffer, t.value.byteOffset, 4).getUint32(0);
    }
    else throw new SwError(SW.WRONG_DATA);
  }
  const period = periodOf(id, type);
  const key = normalizeKey(k.subarray(2), algorithm);
  flashFault(id, key);
  const build = (f: State): Credential => ({
    id, type, algorithm, digits, period, counter: type === 'HOTP' ? counter : 0,
    touch: (props & PROPERTY_TOUCH) !== 0, highWater: -1,
    secret: sealSecret(key, f.access.kcv === null ? null : ctx.seal),
  });
  const place = (f: State, cred: Credential) => {
    const at = find(f, id);
    if (at >= 0) f.credentials[at] = cred; // PUT replaces, as on a YubiKey
    else if (f.credentials.length >= CAPACITY) throw new SwError(SW.NO_SPACE);
    else f.credentials.push(cred);
  };
  if (ctx.txn) {
    // Sealed now, so the key leaves RAM now; a code set or cleared before COMMIT voids it.
    const cred = build(s), kcv = s.access.kcv;
    stage(ctx, (f) => {
      requireAuth(ctx, f);
      if (f.access.kcv !== kcv) throw new SwError(SW.CONDITIONS);
      place(f, { ...cred });
    });
  } else {
    await change(ctx, (f) => { requireAuth(ctx, f); place(f, build(f)); });
  }
  key.fill(0);
  return new Uint8Array(0);
}

/**
 * Test benches only: a flash cell that stores a key wrong, so a burn's read-back can be shown to
 * catch it. Reachable only by code running in this process that sets the symbol (a test's
 * `node --import`); no flag, file or variable of the programs sets it.
 */
function flashFault(id: string, key: Uint8Array): void {
  const f = (globalThis as { [k: symbol]: unknown })[Symbol.for('totp-fob.test.flash-fault')];
  if (typeof f === 'function') f(id, key);
}

async function remove(ctx: Ctx, cmd: Command, s: State): Promise<Uint8Array> {
  requireAuth(ctx, s);
  const items = parseTlvs(cmd.data);
  const id = readId(take(items, 0, TAG.NAME));
  if (items.length !== 1) throw new SwError(SW.WRONG_DATA);
  const del = (f: State) => {
    const at = find(f, id);
    if (at < 0) throw new SwError(SW.NO_SUCH_OBJECT);
    f.credentials.splice(at, 1);
  };
  if (ctx.txn) stage(ctx, (f) => { requireAuth(ctx, f); del(f); });
  else await change(ctx, del);
  return new Uint8Array(0);
}

/**
 * RENAME 05: `71 old 71 new`. A TOTP id may not change its period prefix: its steps would change.
 * A new id already on the card is refused even when it is the credential's own, as a YubiKey does.
 */
async function rename(ctx: Ctx, cmd: Command, s: State): Promise<Uint8Array> {
  requireAuth(ctx, s);
  const items = parseTlvs(cmd.data);
  const from = readId(take(items, 0, TAG.NAME)), to = readNewId(take(items, 1, TAG.NAME));
  if (items.length !== 2) throw new SwError(SW.WRONG_DATA);
  await change(ctx, (f) => {
    const at = find(f, from);
    if (at < 0) throw new SwError(SW.NO_SUCH_OBJECT);
    const c = f.credentials[at]!;
    if (find(f, to) >= 0 || periodOf(to, c.type) !== c.period) throw new SwError(SW.WRONG_DATA);
    c.id = to;
  });
  return new Uint8Array(0);
}

function list(ctx: Ctx, s: State): Uint8Array {
  requireAuth(ctx, s);
  return concat(s.credentials.map((c) => tlv(TAG.NAME_LIST, concat([Uint8Array.of(typeByte(c)), idBytes(c.id)]))));
}

/** CALCULATE A2: `71 id 74 challenge`. TOTP hashes the host's challenge; HOTP ignores it. */
async function calculate(ctx: Ctx, cmd: Command, s: State): Promise<Uint8Array> {
  if (cmd.p2 > 1) throw new SwError(SW.WRONG_P1P2);
  requireAuth(ctx, s);
  const items = parseTlvs(cmd.data);
  const id = readId(take(items, 0, TAG.NAME)), chal = take(items, 1, TAG.CHALLENGE);
  if (items.length !== 2 || chal.length > MAX_CHALLENGE) throw new SwError(SW.WRONG_DATA);
  const c = s.credentials[find(s, id)];
  if (!c) throw new SwError(SW.NO_SUCH_OBJECT);
  if (c.touch && !(await awaitTouch(ctx.path, ctx.now, ctx.sleep))) throw new SwError(SW.AUTH_REQUIRED);
  if (c.type === 'HOTP') {
    const h = await nextHotp(ctx, id, (f) => requireAuth(ctx, f));
    return answer(h.c, h.digest, cmd.p2);
  }
  const fresh = load(ctx);
  requireAuth(ctx, fresh);
  const now = fresh.credentials[find(fresh, id)];
  if (!now) throw new SwError(SW.NO_SUCH_OBJECT);
  return answer(now, ctx.hash(now.algorithm, secretOf(ctx, now), chal), cmd.p2);
}

/**
 * CALCULATE ALL A4 P1=00: `74 challenge` → per credential `71 id` and then `76` (computed),
 * `77 01 d` for every HOTP (ykman takes the type from this tag), or `7C 01 d` for touch.
 */
function calculateAll(ctx: Ctx, cmd: Command, s: State): Uint8Array {
  if (cmd.p2 > 1) throw new SwError(SW.WRONG_P1P2);
  requireAuth(ctx, s);
  const items = parseTlvs(cmd.data);
  const chal = take(items, 0, TAG.CHALLENGE);
  if (items.length !== 1 || chal.length > MAX_CHALLENGE) throw new SwError(SW.WRONG_DATA);
  return concat(s.credentials.flatMap((c) => [
    tlv(TAG.NAME, idBytes(c.id)),
    c.type === 'HOTP' ? tlv(TAG.HOTP, [c.digits])
      : c.touch ? tlv(TAG.TOUCH, [c.digits])
        : answer(c, ctx.hash(c.algorithm, secretOf(ctx, c), chal), cmd.p2),
  ]));
}

/** RESET 04 DE AD: every credential and the access code go; serial and clock stay. */
async function reset(ctx: Ctx, cmd: Command): Promise<Uint8Array> {
  if (cmd.p1 !== 0xde || cmd.p2 !== 0xad) throw new SwError(SW.WRONG_P1P2);
  ctx.txn = null;
  await change(ctx, wipe);
  ctx.key = null;
  ctx.seal = null;
  ctx.session = { challenge: null, authed: false };
  return new Uint8Array(0);
}

/** Dispatches one YKOATH command (chaining and SEND REMAINING are the device's). */
export async function oath(ctx: Ctx, cmd: Command): Promise<Uint8Array> {
  const s = load(ctx);
  switch (cmd.ins) {
    case INS.SELECT_OR_CALCULATE_ALL:
      // One INS, two commands: P1 tells SELECT (04) from CALCULATE ALL (00).
      if (cmd.p1 === 0x04) return select(ctx, cmd, s);
      if (cmd.p1 === 0x00) return calculateAll(ctx, cmd, s);
      throw new SwError(SW.WRONG_P1P2);
    case INS.PUT: return put(ctx, cmd, s);
    case INS.DELETE: return remove(ctx, cmd, s);
    case INS.SET_CODE: return setCode(ctx, cmd, s);
    case INS.RESET: return reset(ctx, cmd);
    case INS.RENAME: return rename(ctx, cmd, s);
    case INS.LIST: return list(ctx, s);
    case INS.CALCULATE: return calculate(ctx, cmd, s);
    case INS.VALIDATE: return validate(ctx, cmd, s);
    default: throw new SwError(SW.UNKNOWN_INS);
  }
}
