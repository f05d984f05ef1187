// Helpers for the host suites: hex, a token store in a temp dir, and the real `token` process.
import { join } from 'node:path';
import { node, tempDir, TOKEN, type Run } from '../../helpers.js';

/** Hex with any spacing, and "quoted ASCII" runs: h('71 04 "dave"'). */
export function h(s: string): Uint8Array {
  const out: number[] = [];
  for (const p of s.match(/"[^"]*"|[0-9a-fA-F]{2}|\S/g) ?? []) {
    if (p.startsWith('"')) out.push(...Buffer.from(p.slice(1, -1), 'utf8'));
    else if (/^[0-9a-fA-F]{2}$/.test(p)) out.push(parseInt(p, 16));
    else throw new Error(`bad hex token ${p}`);
  }
  return Uint8Array.from(out);
}
export const x = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

export interface Box {
  dir: string; device: string; env: NodeJS.ProcessEnv;
  token(args: string[], o?: { input?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Run>;
  done(): void;
}

/** A temp dir with its own token path; `token()` runs dist's CLI against it, never the user's. */
export function box(): Box {
  const t = tempDir('host-');
  const device = join(t.dir, 'token.dev');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: t.dir, XDG_STATE_HOME: join(t.dir, 'state'), TOKEN_DEVICE: device, NO_COLOR: '1',
    LANG: 'C.UTF-8',
  };
  return {
    dir: t.dir, device, env,
    token: (args, o = {}) => node(TOKEN, args, {
      env: { ...env, ...o.env }, ...(o.input !== undefined ? { input: o.input } : {}), timeoutMs: o.timeoutMs ?? 60_000,
    }),
    done: t.done,
  };
}

/** A JSON document from stdout, or a failure that shows what came instead. */
export function parsed<T = unknown>(r: Run): T {
  try { return JSON.parse(r.stdout) as T; } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}${r.stderr}`);
  }
}
