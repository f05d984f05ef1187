// `mkdir -p` that fails fast. Node's recursive mkdirSync loops forever where a parent can never
// be created (under /proc it keeps getting ENOENT and retrying), so each missing level is made
// on its own, after checking that what exists above it is a directory.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Creates `dir` and its missing parents (mode 0700). Throws the fs error, with its path. */
export function makeDirs(dir: string, mode = 0o700): void {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    let isDir: boolean;
    try { isDir = statSync(d).isDirectory(); } catch (e) {
      // ENOTDIR: a file above it; go up and name that file, not this path.
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(d) === d) throw e;
      missing.push(d);
      continue;
    }
    // Shaped as Node's own system errors are, so callers word it the same way.
    if (!isDir) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${d}'`), { code: 'ENOTDIR', syscall: 'mkdir', path: d });
    break;
  }
  for (const d of missing.reverse()) {
    try { mkdirSync(d, { mode }); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; }
  }
}
