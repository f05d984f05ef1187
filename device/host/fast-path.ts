// The argv shapes that skip commander (cli.ts): `show`, which people run all day, and `code`,
// which scripts run (aws-vault's mfa_process). Anything else, or anything odd, goes to commander.
import type { Globals } from './context.js';

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
