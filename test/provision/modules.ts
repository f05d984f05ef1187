// Which modules a CLI run loads, as node's ESM loader resolves them (a resolve hook that logs).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Runs `node ARGV` with a resolve hook; returns every URL resolved (files and node: builtins), throwing on a failed run. */
export function hitModules(dir: string, argv: string[], env: NodeJS.ProcessEnv): string[] {
  const hooks = join(dir, 'log-hooks.mjs'), reg = join(dir, 'log-register.mjs');
  writeFileSync(hooks, `import { writeSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); writeSync(2, 'LOADED ' + r.url + '\\n'); return r; }\n`);
  writeFileSync(reg, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(reg).href, ...argv], { env, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return [...new Set(r.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice(7)))];
}
