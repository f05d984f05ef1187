// The physical face: a press wakes the LCD, which shows codes at the device's own RTC.
import { truncate, type Algorithm } from '../core/index.js';
import { rtcMs } from './clock.js';
import { codesAt, find } from './credential.js';
import { FirmwareError } from './errors.js';
import { nextHotp } from './oath.js';
import { load, unlocked, type Ctx } from './session.js';
import type { Credential, State } from './store.js';
import { openSecret } from './seal.js';

const LOCKED = 'the device is locked by an access code: give the code when opening it';

export interface Frame {
  id: string;
  /** Lowercase, as core's key URIs spell it. */
  type: 'totp' | 'hotp';
  /** The code shown; null for an HOTP credential not asked for by name; 'Err' after a failed POST. */
  code: string | null;
  /** The TOTP code of the following step (a segment LCD's second line); null for HOTP. */
  next: string | null;
  /** TOTP: the time step shown; HOTP: the counter the code used (or will use). */
  step: number;
  /** Whole seconds until the TOTP code changes; 0 for HOTP. */
  remaining: number;
  period: number;
  digits: number;
  algorithm: Algorithm;
  hotp: boolean;
}

export interface DisplayOptions {
  /** Compute the following step's code for the second line (default true). */
  next?: boolean;
}

/** What a device whose self-test failed shows: `Err`, and nothing else. */
export const ERR_FRAME: Frame = {
  id: '', type: 'totp', code: 'Err', next: null, step: 0, remaining: 0, period: 0, digits: 0, algorithm: 'SHA1', hotp: false,
};

/** ykman's matching: an exact id wins, else a case-insensitive substring. */
export function matching(s: State, query?: string): Credential[] {
  if (query === undefined) return s.credentials;
  const exact = s.credentials[find(s, query)];
  if (exact) return [exact];
  const q = query.toLowerCase();
  return s.credentials.filter((c) => c.id.toLowerCase().includes(q));
}

/**
 * Frames for the credentials the query matches (all without one). TOTP uses the RTC and
 * never writes high water; an HOTP code is shown, and its counter advanced, only when the
 * query picks out exactly that credential.
 */
export async function frames(ctx: Ctx, query?: string, o: DisplayOptions = {}): Promise<Frame[]> {
  const s = load(ctx);
  if (!unlocked(ctx, s)) {
    throw new FirmwareError('E_LOCKED', LOCKED);
  }
  const t = rtcMs(s.clock, s.identity.driftPpm, ctx.now() * 1000) / 1000;
  const shown = matching(s, query);
  const out: Frame[] = [];
  for (const c of shown) {
    const base = { id: c.id, type: c.type === 'HOTP' ? 'hotp' as const : 'totp' as const, period: c.period, digits: c.digits, algorithm: c.algorithm, hotp: c.type === 'HOTP' };
    if (c.type === 'HOTP') {
      if (query !== undefined && shown.length === 1) {
        // The press is the physical presence; the APDU session's VALIDATE plays no part here.
        const h = await nextHotp(ctx, c.id, (f) => { if (!unlocked(ctx, f)) throw new FirmwareError('E_LOCKED', LOCKED); });
        out.push({ ...base, code: truncate(h.digest, c.digits), next: null, step: h.c.counter, remaining: 0 });
      } else {
        out.push({ ...base, code: null, next: null, step: c.counter, remaining: 0 });
      }
      continue;
    }
    const key = openSecret(c.secret, ctx.seal);
    if (!key) throw new FirmwareError('E_LOCKED', LOCKED);
    const step = Math.max(0, Math.floor(t / c.period));
    const remaining = Math.max(1, Math.ceil((step + 1) * c.period - t));
    const [code, next = null] = codesAt(ctx.hash, c, key, o.next === false ? [step] : [step, step + 1]);
    out.push({ ...base, code: code!, next, step, remaining });
  }
  return out;
}
