// The terminal: stdout written directly, and questions for the person at it.
//
// stdout without process.stdout: building that stream loads Node's stream stack, a few ms of
// every `token show`. On Linux process.stdout writes files, pipes and terminals synchronously
// anyway, so fs.writeSync(1) behaves the same.
//
// Questions for the person at the terminal: on stderr, answers from a TTY stdin, codes without echo.
import { fstatSync, statSync, writeSync } from 'node:fs';
import { builtin } from '../../lib/builtin.js';
import { HostError } from './errors.js';

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

// Not process.stdin.isTTY: touching process.stdin builds a stream (~1 ms of `show`).
export const interactive = (): boolean => isTerminal(0) && isTerminal(2);

function ask(question: string, echo: boolean): Promise<string> {
  if (!interactive()) return Promise.reject(new HostError('E_USAGE', 'no terminal to ask on'));
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let answer = '';
    // Raw (no echo) before the question shows: an answer typed the moment it appears is not echoed.
    stdin.setRawMode(true);
    process.stderr.write(question);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error) => {
      stdin.setRawMode(false); stdin.pause(); stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err); else resolve(answer);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new HostError('E_USAGE', 'cancelled'));
        if (ch === '\u007f' || ch === '\b') {
          if (answer) { answer = answer.slice(0, -1); if (echo) process.stderr.write('\b \b'); }
        } else if (ch >= ' ') { answer += ch; if (echo) process.stderr.write(ch); }
      }
    };
    stdin.on('data', onData);
  });
}

/** Reads a code without echoing it. */
export const askSecret = (question: string): Promise<string> => ask(question, false);

export async function confirm(question: string): Promise<boolean> {
  return /^y(es)?$/i.test((await ask(`${question} [y/N] `, true)).trim());
}
