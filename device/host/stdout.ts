// stdout without process.stdout: building that stream loads Node's stream stack, a few ms of
// every `token show`. On Linux process.stdout writes files, pipes and terminals synchronously
// anyway, so fs.writeSync(1) behaves the same.
import { fstatSync, statSync, writeSync } from 'node:fs';
import { builtin } from '../../lib/builtin.js';

const tty = (): typeof import('node:tty') => builtin<typeof import('node:tty')>('node:tty');

/**
 * isatty(fd), loading node:tty only when the answer is not plain: a terminal is a character
 * device, and /dev/null (a character device too) is not a terminal.
 */
export function isTerminal(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    if (!st.isCharacterDevice()) return false;
    const nul = statSync('/dev/null');
    if (st.rdev === nul.rdev && st.ino === nul.ino) return false;
  } catch { return false; }
  return tty().isatty(fd);
}

let terminal: boolean | undefined;
/** Whether stdout is a terminal (asked once). */
export const stdoutIsTerminal = (): boolean => (terminal ??= isTerminal(1));

/** Writes all of s to stdout. A reader that went away (`token show | head -1`) ends the program quietly. */
export function writeOut(s: string): void {
  const b = Buffer.from(s, 'utf8');
  for (let o = 0; o < b.length;) {
    try { o += writeSync(1, b, o); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') process.exit(process.exitCode ?? 0);
      if (code !== 'EAGAIN') throw e;
      // A non-blocking pipe that is full: wait a moment for the reader.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}
