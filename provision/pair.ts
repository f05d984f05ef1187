// `provision enable` and `provision resync`: two consecutive codes from the token's own clock.
// Resync is how a drifted token recovers: AWS finds the pair within its window and stores the offset.
//
// EnableMFADevice and ResyncMFADevice want two consecutive codes. The token hands out the two most
// recent steps (T-1, T), which AWS accepts (LocalStack's AWS-validated test). If AWS refuses them
// (a step boundary passed in flight, a drifting token clock) the retry sends the current step and
// the next, once the current step is one the token has not spent:
//   - under a simulated clock the token records nothing, so that is (T, T+1), at once;
//   - under the real clock the first try spent step T (the token hands a code out once, RFC 6238
//     §5.2), so it is (T+1, T+2) once T+1 began: no wait when a boundary passed in flight (the
//     usual cause), else up to one period, counted down on stderr as aws-vault's contrib script waits.
// The token says which step it waits for (freshPair's onWait): the rule lives there, not here.
import type { HostClock } from '../lib/clock.js';
import { call, isAws } from './aws.js';
import type { Io, ProvisionCtx } from './context.js';
import { credentialFor } from './mapping.js';

export interface Code { code: string; step: number }
export interface PairSource {
  freshPair(id: string, mode: 'recent' | 'next', o?: { onWait?: (seconds: number, step: number) => void }):
    Promise<[Code, Code]> | [Code, Code];
}

export interface PairResult { steps: [number, number]; retried: boolean }

export async function submitPair(
  token: PairSource, id: string,
  submit: (code1: string, code2: string) => Promise<unknown>,
  o: { clock: HostClock; io: Io; refused: (e: unknown) => boolean },
): Promise<PairResult> {
  const [a, b] = await token.freshPair(id, 'recent');
  try {
    await submit(a.code, b.code);
    return { steps: [a.step, b.step], retried: false };
  } catch (e) {
    if (!o.refused(e)) throw e;
  }
  // Drawn only on a terminal, and not under a fixed clock (whose waits take no time).
  const draw = o.io.tty && !o.clock.fixed;
  let shown = false;
  const onWait = (s: number, step: number) => {
    if (!draw) return;
    o.io.progress(
      `AWS refused the two most recent codes; waiting ${s} s for the codes of steps ${step} and ${step + 1}`);
    shown = true;
  };
  let pair: [Code, Code];
  try { pair = await token.freshPair(id, 'next', { onWait }); } finally { if (shown) o.io.progress(''); }
  await submit(pair[0].code, pair[1].code);
  return { steps: [pair[0].step, pair[1].step], retried: true };
}

export interface PairRequest { user: string; serial: string; credential?: string }
export interface PairOutcome extends PairResult {
  serialNumber: string; userName: string; credential: string; action: 'enabled' | 'resynced' }

export async function enableDevice(ctx: ProvisionCtx, r: PairRequest): Promise<PairOutcome> {
  return pairCall(ctx, r, 'enable');
}

export async function resyncDevice(ctx: ProvisionCtx, r: PairRequest): Promise<PairOutcome> {
  return pairCall(ctx, r, 'resync');
}

async function pairCall(ctx: ProvisionCtx, r: PairRequest, what: 'enable' | 'resync'): Promise<PairOutcome> {
  const { token, id } = await credentialFor(ctx, r.serial, r.credential);
  const { aws } = ctx;
  const input = (c1: string, c2: string) =>
    ({ UserName: r.user, SerialNumber: r.serial, AuthenticationCode1: c1, AuthenticationCode2: c2 });
  const send = what === 'enable'
    ? (c1: string, c2: string) => call('EnableMFADevice', aws.iam.send(new aws.I.EnableMFADeviceCommand(input(c1, c2))),
      r)
    : (c1: string, c2: string) => call('ResyncMFADevice', aws.iam.send(new aws.I.ResyncMFADeviceCommand(input(c1, c2))),
      r);
  const res = await submitPair(token, id, send,
    { clock: ctx.clock, io: ctx.io, refused: (e) => isAws(e, 'InvalidAuthenticationCode') });
  return { ...res, serialNumber: r.serial, userName: r.user, credential: id, action: what === 'enable' ?
    'enabled' : 'resynced' };
}
