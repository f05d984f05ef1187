// Enrolls a batch of credentials (an export's, a PSKC file's, several QR codes') all or nothing, and
// proves the burn: every source feeds `burn()`.
//
//   1. Everything is checked before the token is touched: each credential against what the device
//      holds, the batch against itself (ids), and against the token (ids on it, room left).
//   2. The PUTs go in one vendor TRANSACTION: the device writes them in one store write, or none.
//   3. The token is powered off and on again, and each credential's codes are read back through the
//      card face (YKOATH CALCULATE) and compared with codes computed here from the parsed secret. A
//      mismatch removes the whole batch again, in one transaction.
//
// HOTP: reading codes spends counters. A credential exported at counter c (the next code its old
// authenticator would show) is written at max(0, c-2) and read back at that counter and the next, so
// the token then stands at c: the two codes read were ones the old authenticator had already shown.
// Below c = 2 there are no such codes; the token then stands at 2, which a verifier's look-ahead
// window accepts, and a warning says so.
//
// Touch credentials: the read-back needs a touch per code, and the enrolling host presses the button
// itself. That is safe: the codes are of a secret the host wrote a moment ago, and each press
// authorizes one computation, spent at once.
import { hotp } from '../core/index.js';
import { printableId } from '../firmware/credential.js';
import { CAPACITY } from '../firmware/ykoath.js';
import { checkEnrollment, refusedAs, type Enrollment } from './enrollment.js';
import { HostError } from './errors.js';
import * as oath from './oath-client.js';
import type { Token } from './token.js';

/** A credential of the batch as checked: its id and its warnings. */
export interface Planned { enrollment: Enrollment; id: string; warnings: string[] }

export interface Burned {
  id: string;
  enrollment: Enrollment;
  /** Its codes, read back after a power cycle, matched the secret's. */
  verified: true;
  /** HOTP: the counter the token now stands at (the next code it gives). */
  counter?: number;
}

export interface BurnOptions {
  /** Opens (and on the first call may create) the token; called again for the power cycle. */
  open: () => Promise<Token>;
  warn?: (line: string) => void;
}

const same = (a: Enrollment, b: Enrollment) => a.type === b.type && a.algorithm === b.algorithm &&
  a.digits === b.digits && a.period === b.period && a.counter === b.counter && !!a.touch === !!b.touch &&
  Buffer.compare(Buffer.from(a.secret), Buffer.from(b.secret)) === 0;

/**
 * Checks a batch against the device's rules and against itself. The same credential twice (the same
 * export part scanned twice) is enrolled once, with a warning; two different ones under one id are an
 * error naming it. Errors name the credential when the batch holds more than one.
 */
export function plan(batch: readonly Enrollment[], warn: (line: string) => void = () => {}): Planned[] {
  const out: Planned[] = [];
  const byId = new Map<string, Planned>();
  for (const [i, e] of batch.entries()) {
    let p: Planned;
    try {
      p = { enrollment: e, ...checkEnrollment(e) };
    } catch (err) {
      if (batch.length === 1 || !(err instanceof HostError)) throw err;
      const who = `${e.issuer ? `${e.issuer}:` : ''}${e.account}`;
      throw refusedAs(err, `credential ${i + 1} of ${batch.length} ('${printableId(who)}')`);
    }
    const twin = byId.get(p.id);
    if (twin) {
      if (same(twin.enrollment, e)) {
        warn(`'${printableId(p.id)}' is in the input twice, identical; enrolling it once`);
        continue;
      }
      throw new HostError('E_EXISTS', `two different credentials are named '${printableId(p.id)}' ` +
        `(${out.indexOf(twin) + 1} and ${i + 1} of ${batch.length}); the token keeps one per name: ` +
        'rename one where it came from and export again');
    }
    byId.set(p.id, p);
    out.push(p);
  }
  return out;
}

/** Refuses a batch that collides with the token's ids or does not fit, before anything is written. */
export function fits(planned: readonly Planned[], onToken: readonly string[], capacity = CAPACITY): void {
  const taken = planned.filter((p) => onToken.includes(p.id));
  if (taken.length) {
    const names = taken.map((p) => `'${printableId(p.id)}'`).join(', ');
    throw new HostError('E_EXISTS', `${taken.length === 1 ? 'a credential named ' + names + ' is' :
      `credentials named ${names} are`} already on the token; nothing was enrolled ` +
      '(delete or rename those first)');
  }
  const room = capacity - onToken.length, over = planned.length - room;
  if (over > 0) {
    throw new HostError('E_FULL', `${planned.length} credentials do not fit: the token holds ${onToken.length} of ` +
      `${capacity}, room for ${Math.max(0, room)}, so ${over} do not fit; nothing was enrolled`);
  }
}

/** HOTP: where to write the counter so that reading two codes leaves the token at the source's counter. */
const startOf = (e: Enrollment) => (e.type === 'hotp' ? Math.max(0, e.counter - 2) : e.counter);

/** The two codes read back, and the two the secret gives, for one credential. */
async function readBack(token: Token, p: Planned): Promise<{ got: string[]; want: string[]; where: number[] }> {
  const e = p.enrollment, o = { digits: e.digits, algorithm: e.algorithm };
  const first = e.type === 'hotp' ? startOf(e) : Math.floor((await token.deviceTime()) / e.period);
  const where = [first, first + 1], got: string[] = [];
  for (const w of where) {
    if (e.touch) await token.press();
    got.push(await token.calculate(p.id, e.type === 'hotp' ? null : w));
  }
  return { got, want: where.map((w) => hotp(e.secret, w, o)), where };
}

/** Checks, writes in one transaction, power-cycles, reads back; all or nothing. */
export async function burn(batch: readonly Enrollment[], o: BurnOptions): Promise<Burned[]> {
  const warn = o.warn ?? (() => {});
  if (batch.length === 0) throw new HostError('E_INPUT', 'the source holds no credentials');
  const planned = plan(batch, warn);
  fits(planned, []); // more than a whole token: refused before the first open creates one
  for (const p of planned) for (const w of p.warnings) warn(`${printableId(p.id)}: ${w}`);
  let token = await o.open();
  try {
    fits(planned, (await token.list()).map((c) => c.id));
    await token.atomically(planned.map((p) => ({
      id: p.id,
      apdu: oath.put({
        id: p.id, type: p.enrollment.type, algorithm: p.enrollment.algorithm, digits: p.enrollment.digits,
        secret: p.enrollment.secret, touch: !!p.enrollment.touch, counter: startOf(p.enrollment),
      }),
    })));
  } finally { await token.close(); }

  // The power cycle: what is read back is what the store holds, not what a session remembers.
  token = await o.open();
  try {
    const out: Burned[] = [];
    for (const p of planned) {
      let r: Awaited<ReturnType<typeof readBack>>;
      try { r = await readBack(token, p); } catch (e) {
        const err = e instanceof HostError ? e : new HostError('E_VERIFY', String((e as Error).message));
        throw await rollBack(token, planned, new HostError(err.code,
          `reading back '${printableId(p.id)}' failed: ${err.message}`, err.sw));
      }
      const bad = r.got.findIndex((c, i) => c !== r.want[i]);
      if (bad >= 0) {
        const at = p.enrollment.type === 'hotp' ? `counter ${r.where[bad]}` : `time step ${r.where[bad]}`;
        throw await rollBack(token, planned, new HostError('E_VERIFY',
          `the burn of '${printableId(p.id)}' did not verify: ` +
          `the token's code at ${at} is not the one its secret gives`));
      }
      const e = p.enrollment;
      if (e.type === 'hotp' && e.counter < 2) {
        warn(`${printableId(p.id)}: reading back the burn used HOTP counters ${r.where.join(' and ')}; ` +
          `the token's next code is counter 2 (a verifier's look-ahead window takes it)`);
      }
      out.push({ id: p.id, enrollment: e, verified: true, ...(e.type === 'hotp' ? { counter: r.where[1]! + 1 } : {}) });
    }
    return out;
  } finally { await token.close(); }
}

/** Removes the whole batch in one transaction; the error to throw says what happened to it. */
async function rollBack(token: Token, planned: readonly Planned[], cause: HostError): Promise<Error> {
  const code = cause.code;
  try {
    await token.atomically(planned.map((p) => ({ id: p.id, apdu: oath.remove(p.id) })));
  } catch (e) {
    return new HostError(code, `${cause.message}; removing the ${planned.length} credential(s) of this enrollment ` +
      `failed too (${(e as Error).message}): delete ${planned.map((p) => `'${printableId(p.id)}'`).join(', ')} ` +
      'with token delete');
  }
  const n = planned.length;
  return new HostError(code,
    `${cause.message}; ${n === 1 ? 'it was' : `all ${n} credentials of this enrollment were`} ` +
    'removed again; the token is as it was');
}
