// `provision enable` and `provision resync`: two consecutive codes from the token's own clock.
// Resync is how a drifted token recovers: AWS finds the pair within its window and stores the offset.
import { call, isAws } from './aws.js';
import type { Ctx } from './context.js';
import { credentialFor } from './credential.js';
import { submitPair, type PairResult } from './pair.js';

export interface PairRequest { user: string; serial: string; credential?: string }
export interface PairOutcome extends PairResult { serialNumber: string; userName: string; credential: string; action: 'enabled' | 'resynced' }

export async function enableDevice(ctx: Ctx, r: PairRequest): Promise<PairOutcome> {
  return pairCall(ctx, r, 'enable');
}

export async function resyncDevice(ctx: Ctx, r: PairRequest): Promise<PairOutcome> {
  return pairCall(ctx, r, 'resync');
}

async function pairCall(ctx: Ctx, r: PairRequest, what: 'enable' | 'resync'): Promise<PairOutcome> {
  const { token, id } = await credentialFor(ctx, r.serial, r.credential);
  const { aws } = ctx;
  const input = (c1: string, c2: string) => ({ UserName: r.user, SerialNumber: r.serial, AuthenticationCode1: c1, AuthenticationCode2: c2 });
  const send = what === 'enable'
    ? (c1: string, c2: string) => call('EnableMFADevice', aws.iam.send(new aws.I.EnableMFADeviceCommand(input(c1, c2))), r)
    : (c1: string, c2: string) => call('ResyncMFADevice', aws.iam.send(new aws.I.ResyncMFADeviceCommand(input(c1, c2))), r);
  const res = await submitPair(token, id, send, { clock: ctx.clock, io: ctx.io, refused: (e) => isAws(e, 'InvalidAuthenticationCode') });
  return { ...res, serialNumber: r.serial, userName: r.user, credential: id, action: what === 'enable' ? 'enabled' : 'resynced' };
}
