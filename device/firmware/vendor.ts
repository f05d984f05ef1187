// The vendor applet (CLA 80): what YKOATH has no words for. A YubiKey has no clock; this token does.
// Its TRANSACTION (80 15) is the batch YKOATH lacks: a host enrolling many credentials would otherwise
// leave some of them behind when one is refused or the power goes. Between BEGIN and COMMIT, PUT and
// DELETE are checked against the store as it would then be and staged in RAM; COMMIT applies them
// all in one store write (one atomic replace of the file), or none of them. Power-off, SELECT and
// ABORT forget the staged work, so nothing of an unfinished transaction ever reaches the flash.
import { counterBytes } from '../core/index.js';
import { concat, parseTlvs, readU64, SW, SwError, take, tlv, u64, type Command } from './apdu.js';
import { awaitTouch } from './panel.js';
import { answer, find, idBytes, readId, typeByte } from './credential.js';
import { change, load, requireAuth, secretOf, type Ctx } from './ram.js';
import { rtcMs, setTime } from './rtc.js';
import type { State } from './store.js';
import { CAPACITY, DETAIL_TAG, INFO_TAG, TAG, TXN, VENDOR_INS } from './ykoath.js';

export const deviceMs = (ctx: Ctx, s: State): number =>
  Math.max(0, Math.floor(rtcMs(s.clock, s.identity.driftPpm, ctx.now() * 1000)));

function info(ctx: Ctx, s: State): Uint8Array {
  const drift = new Uint8Array(4);
  new DataView(drift.buffer).setInt32(0, Math.round(s.identity.driftPpm * 1000));
  const ascii = (t: string) => new TextEncoder().encode(t);
  return concat([
    tlv(INFO_TAG.SERIAL, ascii(s.identity.serial)),
    tlv(INFO_TAG.MODEL, ascii(s.identity.model)),
    tlv(INFO_TAG.FIRMWARE, s.identity.firmware.split('.').map(Number)),
    tlv(INFO_TAG.COUNT, [s.credentials.length]),
    tlv(INFO_TAG.CAPACITY, [CAPACITY]),
    tlv(INFO_TAG.RTC, u64(deviceMs(ctx, s))),
    tlv(INFO_TAG.DRIFT, drift),
    tlv(INFO_TAG.MANUFACTURED, u64(Math.max(0, Math.round(s.identity.manufactured)))),
    tlv(INFO_TAG.CODE_SET, [s.access.kcv === null ? 0 : 1]),
    tlv(INFO_TAG.RETRIES, [s.access.retries]),
  ]);
}

/** SET TIME 80 11 P1 00 08 <Unix ms>: P1=01 forces a backwards set; otherwise that is 6985. */
async function setClock(ctx: Ctx, cmd: Command, s: State): Promise<Uint8Array> {
  if (cmd.p1 > 1 || cmd.p2 !== 0) throw new SwError(SW.WRONG_P1P2);
  if (cmd.data.length !== 8) throw new SwError(SW.WRONG_LENGTH);
  const to = readU64(cmd.data);
  if (to === null) throw new SwError(SW.WRONG_DATA);
  requireAuth(ctx, s);
  await change(ctx, (f) => {
    requireAuth(ctx, f);
    const next = setTime(f.clock, f.identity.driftPpm, ctx.now() * 1000, to, cmd.p1 === 1);
    if (!next) throw new SwError(SW.CONDITIONS);
    f.clock = next;
  });
  return new Uint8Array(0);
}

/**
 * CALCULATE ONCE 80 13 P1 P2: `71 id 74 08 <step>` → `76 05 digits DT`, TOTP only; P2=01 adds
 * the next step's `76` too. A step at or below the credential's high-water step is refused (6985);
 * otherwise the high water rises to the last step answered in the same store write, so a code is
 * handed out once (RFC 6238 §5.2). P1=01, or a simulated host clock, computes without writing.
 */
async function calculateOnce(ctx: Ctx, cmd: Command, s: State): Promise<Uint8Array> {
  if (cmd.p1 > 1 || cmd.p2 > 1) throw new SwError(SW.WRONG_P1P2);
  requireAuth(ctx, s);
  const items = parseTlvs(cmd.data);
  const id = readId(take(items, 0, TAG.NAME));
  const step = readU64(take(items, 1, TAG.CHALLENGE));
  if (items.length !== 2 || step === null) throw new SwError(SW.WRONG_DATA);
  // P2=01: this step and the next, in one transaction and one store write (AWS's two codes).
  const last = step + cmd.p2;
  if (!Number.isSafeInteger(last)) throw new SwError(SW.WRONG_DATA);
  const c = s.credentials[find(s, id)];
  if (!c) throw new SwError(SW.NO_SUCH_OBJECT);
  if (c.type !== 'TOTP') throw new SwError(SW.WRONG_DATA);
  if (c.highWater >= step) throw new SwError(SW.CONDITIONS);
  if (c.touch && !(await awaitTouch(ctx.path, ctx.now, ctx.sleep))) throw new SwError(SW.AUTH_REQUIRED);
  const dryRun = ctx.simulated || cmd.p1 === 1;
  const { result } = await change(ctx, (f) => {
    requireAuth(ctx, f);
    const now = f.credentials[find(f, id)];
    if (!now || now.type !== 'TOTP') throw new SwError(SW.NO_SUCH_OBJECT);
    if (now.highWater >= step) throw new SwError(SW.CONDITIONS);
    if (!dryRun) now.highWater = last;
    const key = secretOf(ctx, now);
    const codes: Uint8Array[] = [];
    for (let t = step; t <= last; t++) codes.push(answer(now, ctx.hash(now.algorithm, key, counterBytes(t)), 1));
    return concat(codes);
  });
  return result;
}

/**
 * LIST DETAILS 80 14 00 00: what LIST has no room for. YKOATH cannot read back the touch flag of an
 * HOTP credential (CALCULATE ALL answers 77 for every one), nor its digits without computing.
 */
function listDetails(ctx: Ctx, cmd: Command, s: State): Uint8Array {
  if (cmd.p1 !== 0 || cmd.p2 !== 0) throw new SwError(SW.WRONG_P1P2);
  requireAuth(ctx, s);
  return concat(s.credentials.map((c) =>
    tlv(DETAIL_TAG, concat([Uint8Array.of(typeByte(c), c.digits, c.touch ? 0x02 : 0x00), idBytes(c.id)]))));
}

// TRANSACTION

/** Enough for a full token's worth of deletes and then of puts. */
const MAX_STAGED = 2 * CAPACITY;

/**
 * Stages `op` after checking it against the store plus what is already staged: a refusal (its SW)
 * comes now, for this command, and stages nothing.
 */
export function stage(ctx: Ctx, op: (s: State) => void): void {
  const t = ctx.txn!;
  if (t.ops.length >= MAX_STAGED) throw new SwError(SW.NO_SPACE);
  const shadow = structuredClone(load(ctx));
  for (const o of t.ops) o(shadow);
  op(shadow);
  t.ops.push(op);
}

/** 80 15 P1 00: P1=00 BEGIN, 01 COMMIT, 02 ABORT. */
async function transaction(ctx: Ctx, cmd: Command, s: State): Promise<Uint8Array> {
  if (cmd.p1 > TXN.ABORT || cmd.p2 !== 0) throw new SwError(SW.WRONG_P1P2);
  if (cmd.data.length !== 0) throw new SwError(SW.WRONG_LENGTH);
  if (cmd.p1 === TXN.ABORT) { ctx.txn = null; return new Uint8Array(0); }
  requireAuth(ctx, s);
  if (cmd.p1 === TXN.BEGIN) {
    if (ctx.txn) throw new SwError(SW.CONDITIONS);
    ctx.txn = { ops: [], generation: s.generation ?? 0 };
    return new Uint8Array(0);
  }
  const t = ctx.txn;
  if (!t) throw new SwError(SW.CONDITIONS);
  ctx.txn = null;
  await change(ctx, (f) => {
    requireAuth(ctx, f);
    // Any other write since BEGIN (another host's, an HOTP code) voids what was checked against.
    if ((f.generation ?? 0) !== t.generation) throw new SwError(SW.CONDITIONS);
    for (const op of t.ops) op(f);
  });
  return new Uint8Array(0);
}

export async function vendor(ctx: Ctx, cmd: Command): Promise<Uint8Array> {
  const s = load(ctx);
  switch (cmd.ins) {
    case VENDOR_INS.GET_INFO: return info(ctx, s);
    case VENDOR_INS.READ_CLOCK: return u64(deviceMs(ctx, s));
    case VENDOR_INS.SET_TIME: return setClock(ctx, cmd, s);
    case VENDOR_INS.CALCULATE_ONCE: return calculateOnce(ctx, cmd, s);
    case VENDOR_INS.LIST_DETAILS: return listDetails(ctx, cmd, s);
    case VENDOR_INS.TRANSACTION: return transaction(ctx, cmd, s);
    default: throw new SwError(SW.UNKNOWN_INS);
  }
}
