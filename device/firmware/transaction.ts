// The vendor's TRANSACTION (80 15): YKOATH has no batch, so a host enrolling many credentials would
// leave some of them behind when one is refused or the power goes. Between BEGIN and COMMIT, PUT and
// DELETE are checked against the store as it would then be and staged in RAM; COMMIT applies them
// all in one store write (one atomic replace of the file), or none of them. Power-off, SELECT and
// ABORT forget the staged work, so nothing of an unfinished transaction ever reaches the flash.
import { SW, SwError, type Command } from './apdu.js';
import { change, load, requireAuth, type Ctx } from './ram.js';
import type { State } from './store.js';
import { CAPACITY } from './ykoath.js';

/** Work staged in RAM, and the store generation it was checked against. */
export interface Txn { ops: ((s: State) => void)[]; generation: number }

/** Enough for a full token's worth of deletes and then of puts. */
export const MAX_STAGED = 2 * CAPACITY;
export const TXN = { BEGIN: 0x00, COMMIT: 0x01, ABORT: 0x02 } as const;

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
export async function transaction(ctx: Ctx, cmd: Command, s: State): Promise<Uint8Array> {
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
