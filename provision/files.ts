// Secret files: written 0600 atomically (temp, fsync, rename, fsync dir), refused when open to
// others. Paths given by the user (--qr-out, PROVISION_STATE, XDG_STATE_HOME) are checked up
// front, and file-system failures become one line that names the path and the fix.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ProvisionError, usage } from './errors.js';
import { chmodHint, makeDirs, openBits, writeAtomic } from '../lib/files.js';

const WHY: Record<string, string> = {
  ENOENT: 'no such file or directory', EACCES: 'permission denied', EPERM: 'operation not permitted',
  EROFS: 'read-only file system', ENOTDIR: 'a path component is not a directory', EISDIR: 'it is a directory',
  ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', EEXIST: 'it exists',
};

/** One line for a failed file operation: what, where, why (errno), and the fix. */
export function fsError(e: unknown, what: string, fix: string): ProvisionError {
  const x = e as NodeJS.ErrnoException;
  const why = x.code ? `${x.code}, ${WHY[x.code] ?? x.message}` : x.message;
  return new ProvisionError('E_FS', `${what}${x.path ? ` (${x.path})` : ''}: ${why}: ${fix}`);
}

/** Atomically and 0600 (the token's own writer: old or new file after a crash, never half). */
export async function writeSecretFile(path: string, data: string | Uint8Array): Promise<void> {
  makeDirs(dirname(path));
  await writeAtomic(path, data);
}

/** Refuses a secret file that group or others can read, with the chmod that fixes it. */
export function checkPrivate(path: string, name = path): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    throw new ProvisionError('E_STATE',
      `${name} is a directory, not provision's state file: point PROVISION_STATE at a file (e.g. ` +
      `${join(path, 'provision.json')}), or unset it`);
  }
  if (openBits(st.mode)) {
    throw new ProvisionError('E_STATE',
      `${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}): ${chmodHint(path)}`);
  }
}

const kind = (p: string) => { try { return statSync(p).isDirectory() ? 'dir' : 'file'; } catch { return null; } };

function writableDir(dir: string, flag: string): void {
  const k = kind(dir);
  if (k === null) throw usage(`${flag}: the directory ${dir} does not exist: create it first, or pick another path`);
  if (k !== 'dir') throw usage(`${flag}: ${dir} is not a directory: pick another path`);
  try { accessSync(dir, constants.W_OK); } catch {
    throw usage(`${flag}: cannot write in ${dir} (permission denied): pick a directory of yours`);
  }
}

/**
 * Checks --qr-out before anything is created, and says where each device's PNG goes: into the
 * directory when it is one (always in a batch, which may create that one last level), else the file.
 */
export function planQrOut(qrOut: string, batch: boolean): (name: string) => string {
  const k = kind(qrOut);
  if (batch || k === 'dir') {
    if (k === 'file') throw usage(`--qr-out ${qrOut} must be a directory when creating several devices`);
    if (k === null) writableDir(dirname(qrOut), `--qr-out ${qrOut}`);
    else writableDir(qrOut, '--qr-out');
    return (name) => {
      const f = join(qrOut, `${name}.png`);
      if (kind(f) === 'dir') throw usage(`--qr-out: ${f} is a directory: move it away, or pick another --qr-out`);
      return f;
    };
  }
  writableDir(dirname(qrOut), `--qr-out ${qrOut}`);
  return () => qrOut;
}
