// The physical face, for the person: a button and an LCD. A press is persisted next to the store
// (host time, ms), so a press from one process (`token press`) opens the touch window of a device
// attached in another; the LCD shows codes at the device's own RTC.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { counterBytes, truncate, type Algorithm } from '../core/index.js';
import { SW, SwError } from './apdu.js';
import { codesAt, find } from './credential.js';
import { FirmwareError } from './errors.js';
import { change, load, secretOf, unlocked, type Ctx } from './ram.js';
import { openSecret } from './seal.js';
import { rtcMs } from './rtc.js';
import type { Credential, State } from './store.js';
import { matching } from './ykoath.js';

// --- the button ---------------------------------------------------------------------------------

/** A YubiKey blinks for 15 s; trussed-secrets-app's UP_TIMEOUT_MILLISECONDS is 15000 too. */
export const TOUCH_WINDOW_MS = 15_000;
const POLL_MS = 100;
/** Two processes' clocks may disagree a little about "now". */
const SKEW_MS = 1_000;

export const pressPath = (store: string): string => `${store}.press`;

/**
 * Written in place, not by rename: one short write() that a reader sees whole or not at all
 * (an empty or partial read is "no press", and a waiter polls again 100 ms later). Every
 * `token show` presses, and the temp file and rename were a tenth of its own time.
 */
export function press(store: string, nowMs: number): void {
  writeFileSync(pressPath(store), `${Math.round(nowMs)}\n`, { mode: 0o600 });
}

function lastPress(store: string): { ms: number; text: string } | null {
  try {
    const text = readFileSync(pressPath(store), 'utf8');
    const ms = Number(text.trim());
    return Number.isFinite(ms) ? { ms, text } : null;
  } catch {
    return null;
  }
}

/** One press authorizes one touch operation, as on a YubiKey. */
function consume(store: string, text: string): void {
  try { if (readFileSync(pressPath(store), 'utf8') === text) unlinkSync(pressPath(store)); } catch { /* gone */ }
}

/**
 * True once a press has come in the 15 s before, or comes within 15 s of waiting.
 * Time is the host's, injected: under a fixed simulated clock the wait passes instantly.
 */
export async function awaitTouch(
  store: string, now: () => number, sleep: (ms: number) => Promise<void>,
): Promise<boolean> {
  const deadline = now() * 1000 + TOUCH_WINDOW_MS;
  // Counting the sleeps too ends the wait when a fixed clock is paired with a real timer.
  for (let slept = 0; ; slept += POLL_MS) {
    const t = now() * 1000, p = lastPress(store);
    if (p && t - p.ms <= TOUCH_WINDOW_MS && p.ms <= t + SKEW_MS) {
      consume(store, p.text);
      return true;
    }
    if (t >= deadline || slept >= TOUCH_WINDOW_MS) return false;
    await sleep(POLL_MS);
  }
}

// --- the LCD ------------------------------------------------------------------------------------

/** Counter values a YubiKey's 4-byte IMF leaves room for. */
const MAX_COUNTER = 0xffffffff;

/**
 * An HOTP code from the stored counter, advanced in the same store write. `allowed` says who may:
 * the applet asks VALIDATE's session, the panel only that the store is open (the press is presence).
 */
export async function nextHotp(
  ctx: Ctx, id: string, allowed: (f: State) => void,
): Promise<{ c: Credential; digest: Uint8Array }> {
  const { result } = await change(ctx, (f) => {
    allowed(f);
    const at = find(f, id);
    if (at < 0) throw new SwError(SW.NO_SUCH_OBJECT);
    const c = f.credentials[at]!;
    if (c.counter >= MAX_COUNTER) throw new SwError(SW.CONDITIONS);
    const digest = ctx.hash(c.algorithm, secretOf(ctx, c), counterBytes(c.counter));
    const used = { ...c };
    c.counter += 1;
    return { c: used, digest };
  });
  return result;
}

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
  id: '', type: 'totp', code: 'Err', next: null, step: 0, remaining: 0, period: 0, digits: 0, algorithm: 'SHA1',
  hotp: false,
};

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
  const shown = matching(s.credentials, query, (c) => c.id);
  const out: Frame[] = [];
  for (const c of shown) {
    const base = {
      id: c.id, type: c.type === 'HOTP' ? 'hotp' as const : 'totp' as const, period: c.period, digits: c.digits,
      algorithm: c.algorithm, hotp: c.type === 'HOTP',
    };
    if (c.type === 'HOTP') {
      if (query !== undefined && shown.length === 1) {
        // The press is the physical presence; the APDU session's VALIDATE plays no part here.
        const h = await nextHotp(ctx, c.id, (f) => {
          if (!unlocked(ctx, f)) throw new FirmwareError('E_LOCKED', LOCKED);
        });
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
