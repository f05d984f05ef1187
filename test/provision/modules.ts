// Which modules a CLI run loads: what node's ESM loader resolves (a resolve hook that logs) and what
// require's cache holds at exit.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Runs `node ARGV` with a resolve hook; returns every URL resolved (files and node: builtins), throwing on a failed
 * run.
 */
export function hitModules(dir: string, argv: string[], env: NodeJS.ProcessEnv): string[] {
  const hooks = join(dir, 'log-hooks.mjs'), reg = join(dir, 'log-register.mjs');
  writeFileSync(hooks, `import { writeSync } from 'node:fs';\n` +
    `export async function resolve(s, c, next) { const r = await next(s, c); ` +
    `writeSync(2, 'LOADED ' + r.url + '\\n'); return r; }\n`);
  writeFileSync(reg,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  // CommonJS modules never meet the resolve hook: a preload lists require's cache as the process exits.
  const cjs = join(dir, 'log-require.cjs');
  writeFileSync(cjs, `const { writeSync } = require('node:fs'); const { pathToFileURL } = require('node:url');\n` +
    `process.on('exit', () => { for (const f of Object.keys(require.cache)) if (f !== __filename) ` +
    `writeSync(2, 'LOADED ' + pathToFileURL(f).href + '\\n'); });\n`);
  const r = spawnSync(process.execPath, ['--require', cjs, '--import', pathToFileURL(reg).href, ...argv],
    { env, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`exit ${r.status}: ${r.stderr}`);
  return [...new Set(r.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice(7)))];
}

// Strings only the AWS SDK's clients (their service shape ids) and commander (an error code) hold:
// they survive bundling and minifying, where file names do not.
const HEAVY = ['AWSSecurityTokenServiceV20110615', 'AWSIdentityManagementV20100508', 'commander.unknownOption'];

/** The loaded files (file: URLs) holding AWS SDK client or commander code, and the bytes of all of them. */
export function weigh(urls: string[]): { heavy: string[]; bytes: number } {
  const files = urls.filter((u) => u.startsWith('file:')).map((u) => readFileSync(fileURLToPath(u), 'utf8'));
  return {
    heavy: urls.filter((u) => u.startsWith('file:')).filter((_, i) => HEAVY.some((m) => files[i]!.includes(m))),
    bytes: files.reduce((n, f) => n + Buffer.byteLength(f), 0),
  };
}
