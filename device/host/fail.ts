// The CLI's last word: any error becomes one line on stderr (what went wrong, how to fix it)
// and an exit code: 2 for usage, 1 for everything else. Never a stack trace, never a secret.

export function exitCodeOf(e: unknown): 1 | 2 {
  const err = e as { code?: unknown; name?: unknown };
  // A --at / TOTP_FOB_NOW the clock cannot read is a usage error; core's E_TIME is not.
  const usage = err?.code === 'E_USAGE' || err?.code === 'E_VPCD_ADDRESS' || (err?.code === 'E_TIME' && err?.name === 'ClockError');
  return usage || (typeof err?.code === 'string' && err.code.startsWith('commander.')) ? 2 : 1;
}

/** A Node system error (ENOTDIR, EACCES...) as one line: the path, what went wrong, a hint. */
function systemLine(err: { code: string; syscall: string; path?: unknown; dest?: unknown; message?: unknown }): string {
  // Node words them `CODE: description, syscall 'path'`; keep the description.
  const what = /^E[A-Z0-9]+: (.*?), \w+/.exec(String(err.message ?? ''))?.[1] ?? err.code;
  const path = typeof err.path === 'string' ? ` ${err.path}` : '';
  return `cannot ${err.syscall}${path}: ${what} (${err.code}); check the path (--device, TOKEN_DEVICE, XDG_STATE_HOME) and its permissions`;
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
