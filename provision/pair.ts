// EnableMFADevice and ResyncMFADevice want two consecutive codes. The token hands out the two most
// recent steps (T-1, T), which AWS accepts (LocalStack's AWS-validated test); if AWS refuses them
// (a drifting token clock, a step boundary passed in flight) the retry uses (T, T+1), which means
// waiting for T+1 — as aws-vault's contrib script does, with a countdown on stderr.
import type { HostClock } from '../device/host/clock.js';
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
  const left = period - ((await token.deviceTime()) % period);
  const stop = countdown(o, left);
  let pair: [Code, Code];
  try { pair = await token.freshPair(id, 'next'); } finally { stop(); }
  await submit(pair[0].code, pair[1].code);
  return { steps: [pair[0].step, pair[1].step], retried: true };
}

/** "waiting 17 s for the next code" on stderr, ticking, only on a terminal. */
function countdown(o: { clock: HostClock; io: Io }, seconds: number): () => void {
  if (!o.io.tty || o.clock.fixed) return () => {};
  const start = o.clock.now();
  const tick = () => {
    const s = Math.max(0, Math.ceil(seconds - (o.clock.now() - start)));
    o.io.progress(`AWS refused the two most recent codes; waiting ${s} s for the next one`);
  };
  tick();
  const t = setInterval(tick, 1000);
  return () => { clearInterval(t); o.io.progress(''); };
}
