// The button. A press is persisted next to the store (host time, ms), so a press from one
// process (`token press`) opens the touch window of a device attached in another.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';

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
export async function awaitTouch(store: string, now: () => number, sleep: (ms: number) => Promise<void>): Promise<boolean> {
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
