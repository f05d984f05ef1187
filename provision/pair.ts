// EnableMFADevice and ResyncMFADevice want two consecutive codes. The token hands out the two most
// recent steps (T-1, T), which AWS accepts (LocalStack's AWS-validated test). If AWS refuses them
// (a step boundary passed in flight, a drifting token clock) the retry sends the current step and
// the next, as the issue of record asks, once the current step is one the token has not spent:
//   - under a simulated clock the token records nothing, so that is (T, T+1), at once;
//   - under the real clock the first try spent step T (the token hands a code out once, RFC 6238
//     §5.2), so it is (T+1, T+2) once T+1 began: no wait when a boundary passed in flight (the
//     usual cause), else up to one period, counted down on stderr as aws-vault's contrib script waits.
import type { HostClock } from '../lib/clock.js';
import type { Io } from './io.js';

export interface Code { code: string; step: number }
export interface PairSource {
  freshPair(id: string, mode: 'recent' | 'next'): Promise<[Code, Code]> | [Code, Code];
  deviceTime(): Promise<number> | number;
}

export interface PairResult { steps: [number, number]; retried: boolean }

export async function submitPair(
  token: PairSource, id: string,
  submit: (code1: string, code2: string) => Promise<unknown>,
  o: { clock: HostClock; io: Io; refused: (e: unknown) => boolean; period?: number },
): Promise<PairResult> {
  const [a, b] = await token.freshPair(id, 'recent');
  try {
    await submit(a.code, b.code);
    return { steps: [a.step, b.step], retried: false };
  } catch (e) {
    if (!o.refused(e)) throw e;
  }
  const period = o.period ?? 30;
  const now = await token.deviceTime();
  // The step freshPair('next') starts from: the device's current one, past what the try spent.
  const first = Math.max(Math.floor(now / period), o.clock.simulated ? b.step : b.step + 1);
  const stop = countdown(o, first * period - now, (s) => `AWS refused the two most recent codes; waiting ${s} s for the codes of steps ${first} and ${first + 1}`);
  let pair: [Code, Code];
  try { pair = await token.freshPair(id, 'next'); } finally { stop(); }
  await submit(pair[0].code, pair[1].code);
  return { steps: [pair[0].step, pair[1].step], retried: true };
}

/** `say(seconds left)` on stderr, ticking each second, only on a terminal; returns what stops it. */
export function countdown(o: { clock: HostClock; io: Io }, seconds: number, say: (s: number) => string): () => void {
  if (!o.io.tty || o.clock.fixed || seconds <= 0) return () => {};
  const start = o.clock.now();
  const tick = () => o.io.progress(say(Math.max(0, Math.ceil(seconds - (o.clock.now() - start)))));
  tick();
  const t = setInterval(tick, 1000);
  return () => { clearInterval(t); o.io.progress(''); };
}
