// The argv shapes that `token show` may take without commander (cli.ts).
import type { Globals } from './context.js';
import type { ShowOptions } from './commands/show.js';

/** `token [globals] show [QUERY] [--json] [--watch]` and nothing else, or null for commander. */
export function fastShow(a: readonly string[]): { g: Globals; o: ShowOptions; query?: string } | null {
  const g: Globals = {}, o: ShowOptions = {};
  let seen = false, query: string | undefined;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const kv = /^--(device|at)(?:=(.*))?$/s.exec(x);
    if (kv) {
      const v = kv[2] ?? a[++i];
      if (v === undefined || (kv[2] === undefined && v.startsWith('-') && kv[1] === 'device')) return null;
      g[kv[1] as 'device' | 'at'] = v;
    } else if (x === '--trace') g.trace = true;
    else if (seen && x === '--json') o.json = true;
    else if (seen && x === '--watch') o.watch = true;
    else if (x.startsWith('-')) return null;
    else if (!seen) { if (x !== 'show') return null; seen = true; }
    else if (query === undefined) query = x;
    else return null;
  }
  return seen ? { g, o, ...(query !== undefined ? { query } : {}) } : null;
}
