// Where the token lives, in a module of its own: provision's cache-hit path needs the rule and
// nothing else of the host (which boots firmware).
import { createRequire } from 'node:module';
import { join } from 'node:path';

// node:os only without $HOME (it is ~1 ms of a start otherwise).
const homedir = (): string => (process.getBuiltinModule?.('node:os') ?? createRequire('/')('node:os') as typeof import('node:os')).homedir();

/** $XDG_STATE_HOME/totp-fob (only an absolute XDG_STATE_HOME counts), else ~/.local/state/totp-fob. */
export const stateDir = (env: NodeJS.ProcessEnv): string =>
  join(env.XDG_STATE_HOME && env.XDG_STATE_HOME.startsWith('/') ? env.XDG_STATE_HOME : join(env.HOME || homedir(), '.local', 'state'), 'totp-fob');

/** `--device`, then TOKEN_DEVICE, then $XDG_STATE_HOME/totp-fob/token.dev (XDG default ~/.local/state). */
export function devicePath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  if (env.TOKEN_DEVICE) return env.TOKEN_DEVICE;
  return join(stateDir(env), 'token.dev');
}
