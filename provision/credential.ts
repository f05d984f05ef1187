// The token credential that stands for an AWS virtual MFA device: the id it is burned under (within
// YKOATH's 64-byte name limit), and which credential on the attached token answers for an IAM serial
// (provision's mapping, checked against the token actually attached).
import type { Token } from '../device/host/api.js';
import type { ProvisionCtx } from './context.js';
import { ProvisionError } from './errors.js';
import { readMapping, type MapEntry } from './mapping.js';

/** What AWS's QR labels carry: `Amazon Web Services:NAME@ACCOUNT`, as CreateVirtualMFADevice's QRCodePNG does. */
export const AWS_ISSUER = 'Amazon Web Services';
export const SHORT_ISSUER = 'AWS';
/** YKOATH NAME tag (71) holds at most 64 bytes; the host refuses longer ids. */
export const MAX_ID = 64;

export interface Label { issuer: string; account: string; id: string; shortened: boolean }

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * The id the token will know the credential by: the QR's own label when it fits, else with the
 * issuer shortened to `AWS`. Null when even that is over 64 bytes.
 */
export function fitLabel(account: string, issuer: string = AWS_ISSUER): Label | null {
  const full = `${issuer}:${account}`;
  if (bytes(full) <= MAX_ID) return { issuer, account, id: full, shortened: false };
  const short = `${SHORT_ISSUER}:${account}`;
  if (bytes(short) <= MAX_ID) return { issuer: SHORT_ISSUER, account, id: short, shortened: true };
  return null;
}

/** The label for device NAME in account ACCOUNT, or a usage error before anything is created. */
export function labelFor(name: string, account: string): Label {
  const l = fitLabel(`${name}@${account}`);
  if (!l) {
    const room = MAX_ID - bytes(`${SHORT_ISSUER}:@${account}`);
    throw new ProvisionError('E_ID_TOO_LONG',
      `device name '${name}' is too long for a token credential: '${SHORT_ISSUER}:${name}@${account}' ` +
      `is ${bytes(`${SHORT_ISSUER}:${name}@${account}`)} bytes, the limit is ${MAX_ID}; ` +
      `use a name of at most ${room} bytes`);
  }
  return l;
}

export interface Held { token: Token; id: string; entry?: MapEntry }

/** The credential for `serial` on the attached token; `override` names it when provision did not burn it. */
export async function credentialFor(ctx: ProvisionCtx, serial: string, override?: string): Promise<Held> {
  const token = await ctx.token();
  const entry = readMapping(ctx.mappingPath)[serial];
  const ids = (await token.list()).map((c) => c.id);
  if (override) {
    if (!ids.includes(override)) throw new ProvisionError('E_NOT_ON_TOKEN',
      `token ${token.serial} holds no credential '${override}' (have: ${ids.join(', ') || 'none'})`);
    return { token, id: override, entry };
  }
  if (!entry) {
    throw new ProvisionError('E_NO_MAPPING',
      `no record of a token credential for ${serial} in ${ctx.mappingPath}: name it with --credential ID`);
  }
  if (entry.token !== token.serial) {
    throw new ProvisionError('E_NOT_ON_TOKEN',
      `${serial} was burned into token ${entry.token}, but the attached token is ${token.serial}: pass --device for ` +
      `that token`);
  }
  if (!ids.includes(entry.credential)) {
    throw new ProvisionError('E_NOT_ON_TOKEN',
      `token ${token.serial} no longer holds '${entry.credential}' for ${serial} (deleted or renamed; see provision ` +
      `list): pass --credential ID`);
  }
  return { token, id: entry.credential, entry };
}
