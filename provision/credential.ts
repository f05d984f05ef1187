// Which credential on which token answers for an IAM serial: provision's mapping, checked against
// the token actually attached.
import type { Token } from '../device/host/api.js';
import type { ProvisionCtx } from './context.js';
import { ProvisionError } from './errors.js';
import { readMapping, type MapEntry } from './mapping.js';

export interface Held { token: Token; id: string; entry?: MapEntry }

/** The credential for `serial` on the attached token; `override` names it when provision did not burn it. */
export async function credentialFor(ctx: ProvisionCtx, serial: string, override?: string): Promise<Held> {
  const token = await ctx.token();
  const entry = readMapping(ctx.mappingPath)[serial];
  const ids = (await token.list()).map((c) => c.id);
  if (override) {
    if (!ids.includes(override)) throw new ProvisionError('E_NOT_ON_TOKEN', `token ${token.serial} holds no credential '${override}' (have: ${ids.join(', ') || 'none'})`);
    return { token, id: override, entry };
  }
  if (!entry) {
    throw new ProvisionError('E_NO_MAPPING', `no record of a token credential for ${serial} in ${ctx.mappingPath}: name it with --credential ID`);
  }
  if (entry.token !== token.serial) {
    throw new ProvisionError('E_NOT_ON_TOKEN', `${serial} was burned into token ${entry.token}, but the attached token is ${token.serial}: pass --device for that token`);
  }
  if (!ids.includes(entry.credential)) {
    throw new ProvisionError('E_NOT_ON_TOKEN', `token ${token.serial} no longer holds '${entry.credential}' for ${serial} (deleted or renamed; see provision list): pass --credential ID`);
  }
  return { token, id: entry.credential, entry };
}
