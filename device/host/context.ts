// What every command shares: the global flags turned into a clock, a device path, a trace, and
// a way to open the token that asks for the access code only when the token has one.
import { devicePath, openToken, type OpenOptions } from './api.js';
import { ClockError, hostClock, type HostClock } from '../../lib/clock.js';
import { HostError } from './errors.js';
import { askSecret, interactive, writeOut } from './terminal.js';
import type { Token } from './token.js';

export interface Globals { device?: string; at?: string; trace?: boolean }

export interface TokenCtx {
  clock: HostClock;
  path: string;
  trace?: (line: string) => void;
  out(s: string): void;
  err(s: string): void;
  open(o?: Partial<OpenOptions>): Promise<Token>;
}

/** TOKEN_ACCESS_CODE, else a no-echo prompt on a terminal, else a clear refusal. */
export async function accessCode(question = 'Access code: '): Promise<string> {
  const env = process.env.TOKEN_ACCESS_CODE;
  if (env !== undefined) return env;
  if (!interactive()) {
    throw new HostError('E_LOCKED',
      'the token is locked by an access code: set TOKEN_ACCESS_CODE, or run on a terminal to be asked');
  }
  return askSecret(question);
}

export function context(g: Globals): TokenCtx {
  // An empty TOTP_FOB_NOW is unset (the shell habit `VAR= cmd`), but an empty --at was typed on
  // purpose: running on the real clock instead would hand out codes for a time nobody asked for.
  if (g.at !== undefined && !g.at.trim()) {
    throw new ClockError('--at needs a time: ISO 8601 (2027-01-01T00:00:00Z), Unix seconds, or a shift like +30d; ' +
      'leave it out for the real clock');
  }
  const clock = hostClock(g.at ?? process.env.TOTP_FOB_NOW);
  const path = devicePath(g.device);
  const trace = g.trace ? (l: string) => { process.stderr.write(l + '\n'); } : undefined;
  return {
    clock, path, ...(trace ? { trace } : {}),
    out: writeOut,
    err: (s) => { process.stderr.write(s); },
    open: (o = {}) => openToken({
      device: path, clock, ...(trace ? { trace } : {}),
      accessCode: () => accessCode(),
      // The last try is spent only by a person typing at a terminal (Nitrokey-style caution).
      allowLastTry: () => process.env.TOKEN_ACCESS_CODE === undefined && interactive(),
      ...o,
    }),
  };
}
