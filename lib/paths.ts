// Where this project keeps its files: the XDG base directories, each with a totp-fob folder.
// Only an absolute XDG_*_HOME counts (the XDG spec ignores a relative one); without one, the
// default under $HOME, and node:os (which costs a start) only when $HOME is unset too.
import { dirname, join } from 'node:path';
import { builtin } from './builtin.js';

export type Kind = 'state' | 'cache' | 'config';

const XDG: Record<Kind, [variable: string, fallback: string]> = {
  state: ['XDG_STATE_HOME', join('.local', 'state')],
  cache: ['XDG_CACHE_HOME', '.cache'],
  config: ['XDG_CONFIG_HOME', '.config'],
};

/** $HOME, else the account's home directory. */
export const homeDir = (env: NodeJS.ProcessEnv = process.env): string =>
  env.HOME || builtin<typeof import('node:os')>('node:os').homedir();

/** $XDG_<KIND>_HOME/totp-fob, else ~/.local/state/totp-fob, ~/.cache/totp-fob or ~/.config/totp-fob. */
export function xdgDir(kind: Kind, env: NodeJS.ProcessEnv = process.env): string {
  const [variable, fallback] = XDG[kind];
  const base = env[variable];
  return join(base && base.startsWith('/') ? base : join(homeDir(env), fallback), 'totp-fob');
}

/** $XDG_STATE_HOME/totp-fob (XDG default ~/.local/state/totp-fob): the token, records, local state. */
export const stateDir = (env: NodeJS.ProcessEnv = process.env): string => xdgDir('state', env);

/**
 * The version in this project's package.json, found by walking up from `start` (a script or module
 * path: dist/provision/cli.cjs is two levels below it, dist/device/host/ three, the sources two).
 */
export function packageVersion(start: string): string {
  const { readFileSync, realpathSync } = builtin<typeof import('node:fs')>('node:fs');
  let dir = dirname(realpathSync(start));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) {
    try {
      const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (p.name === 'totp-fob' && p.version) return p.version;
    } catch { /* not this level */ }
  }
  return 'unknown';
}

/** The token: `--device`, then TOKEN_DEVICE, then $XDG_STATE_HOME/totp-fob/token.dev (XDG default ~/.local/state). */
export function devicePath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  if (env.TOKEN_DEVICE) return env.TOKEN_DEVICE;
  return join(stateDir(env), 'token.dev');
}
