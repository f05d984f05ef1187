// What one powered-on device holds in RAM, shared by its applets: never written anywhere.
import { SW, SwError } from './apdu.js';
import type { HashFn } from './power-on-test.js';
import { sameKcv, openSecret, type SealKey } from './seal.js';
import { readStore, update, type Credential, type State } from './store.js';

/** Work staged in RAM by a vendor TRANSACTION, and the store generation it was checked against. */
export interface Txn { ops: ((s: State) => void)[]; generation: number }

export interface Ctx {
  readonly path: string;
  /** Host time, Unix seconds. The firmware reads no other clock. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** The host clock is simulated: no high-water step may be written. */
  readonly simulated: boolean;
  readonly hash: HashFn;
  /** The directory of rollback records, or null: no rollback check (a bare firmware test bench). */
  readonly records: string | null;
  /** K = PBKDF2(code, salt): from boot or SET CODE, kept only here. */
  key: Uint8Array | null;
  seal: SealKey | null;
  /** YKOATH session: the latest SELECT's challenge and whether VALIDATE answered it. */
  session: { challenge: Uint8Array | null; authed: boolean };
  /** PUTs and DELETEs staged by a vendor TRANSACTION, not yet written (absent: none). */
  txn?: Txn | null;
}

export const load = (ctx: Ctx): State => readStore(ctx.path, ctx.records);
export const change = <T>(ctx: Ctx, fn: (s: State) => T | Promise<T>) => update(ctx.path, fn, ctx.records);

/** The sealing key in RAM opens this store (another process may have changed the code). */
export const unlocked = (ctx: Ctx, s: State): boolean =>
  s.access.kcv === null || (!!ctx.seal && sameKcv(ctx.seal.kcv, s.access.kcv));

/** Everything but SELECT, VALIDATE, RESET and the read-only vendor queries needs this. */
export function requireAuth(ctx: Ctx, s: State): void {
  if (s.access.kcv !== null && !(ctx.session.authed && unlocked(ctx, s))) throw new SwError(SW.AUTH_REQUIRED);
}

export function secretOf(ctx: Ctx, c: Credential): Uint8Array {
  const k = openSecret(c.secret, ctx.seal);
  if (!k) throw new SwError(SW.AUTH_REQUIRED);
  return k;
}
