// Where the token lives, in a module of its own: provision's cache-hit path needs the rule and
// nothing else of the host (which boots firmware).
import { join } from 'node:path';
import { stateDir } from '../../lib/paths.js';

/** `--device`, then TOKEN_DEVICE, then $XDG_STATE_HOME/totp-fob/token.dev (XDG default ~/.local/state). */
export function devicePath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  if (env.TOKEN_DEVICE) return env.TOKEN_DEVICE;
  return join(stateDir(env), 'token.dev');
}
