// The context a command runs in, and what cli.ts does around it.
//
// What every command shares: the global flags turned into a clock, a device path, a trace, and a
// way to open the token that asks for the access code only when the token has one.
//
// The argv shapes that skip commander (cli.ts): `show`, which people run all day, and `code`,
// which scripts run (aws-vault's mfa_process). Anything else, or anything odd, goes to commander.
//
// The CLI's last word: any error becomes one line on stderr (what went wrong, how to fix it)
// and an exit code: 2 for usage, 1 for everything else. Never a stack trace, never a secret.
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

export type Fast =
  | { cmd: 'show'; g: Globals; query?: string; o: { json?: boolean; watch?: boolean } }
  | { cmd: 'code'; g: Globals; query?: string; o: { json?: boolean; fresh?: boolean } };

const FLAGS = { show: ['--json', '--watch'], code: ['--json', '--fresh'] } as const;

export function fastPath(a: readonly string[]): Fast | null {
  const g: Globals = {}, o: Record<string, boolean> = {};
  let cmd: 'show' | 'code' | undefined, query: string | undefined;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const kv = /^--(device|at)(?:=(.*))?$/s.exec(x);
    if (kv) {
      const v = kv[2] ?? a[++i];
      if (v === undefined || (kv[2] === undefined && v.startsWith('-') && kv[1] === 'device')) return null;
      g[kv[1] as 'device' | 'at'] = v;
    } else if (x === '--trace') g.trace = true;
    else if (cmd && (FLAGS[cmd] as readonly string[]).includes(x)) o[x.slice(2)] = true;
    else if (x.startsWith('-')) return null;
    else if (!cmd) { if (x !== 'show' && x !== 'code') return null; cmd = x; }
    else if (query === undefined) query = x;
    else return null;
  }
  return cmd ? { cmd, g, o, ...(query !== undefined ? { query } : {}) } : null;
}

export function exitCodeOf(e: unknown): 1 | 2 {
  const err = e as { code?: unknown; name?: unknown };
  // A --at / TOTP_FOB_NOW the clock cannot read is a usage error; core's E_TIME is not.
  const usage = err?.code === 'E_USAGE' || err?.code === 'E_VPCD_ADDRESS' ||
    (err?.code === 'E_TIME' && err?.name === 'ClockError');
  return usage || (typeof err?.code === 'string' && err.code.startsWith('commander.')) ? 2 : 1;
}

/** A Node system error (ENOTDIR, EACCES...) as one line: the path, what went wrong, a hint. */
function systemLine(err: { code: string; syscall: string; path?: unknown; dest?: unknown; message?: unknown }): string {
  // Node words them `CODE: description, syscall 'path'`; keep the description.
  const what = /^E[A-Z0-9]+: (.*?), \w+/.exec(String(err.message ?? ''))?.[1] ?? err.code;
  const path = typeof err.path === 'string' ? ` ${err.path}` : '';
  return `cannot ${err.syscall}${path}: ${what} (${err.code}); ` +
    'check the path (--device, TOKEN_DEVICE, XDG_STATE_HOME) and its permissions';
}

export function lineOf(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown; syscall?: unknown };
  if (typeof err?.code === 'string' && /^E[A-Z0-9]+$/.test(err.code) && typeof err.syscall === 'string') {
    return `token: ${systemLine(err as { code: string; syscall: string })}`;
  }
  let msg = typeof err?.message === 'string' && err.message ? err.message : String(e);
  msg = msg.replace(/^error:\s*/i, '').replace(/\s*\n\s*/g, ' ').trim();
  // A bug, not one of our typed failures: still one line, with a way to report it.
  if (typeof err?.code !== 'string') msg = `internal error: ${msg} (please report this)`;
  return `token: ${msg}`;
}

/** Reports `e` and sets the exit code; returns nothing so callers can simply `return fail(e)`. */
export function fail(e: unknown, write: (s: string) => void = (s) => process.stderr.write(s)): void {
  write(lineOf(e) + '\n');
  process.exitCode = exitCodeOf(e);
}
