// The terminal: what the token shows drawn for it, stdout written directly, and questions for the
// person at it.
//
// Drawing: the LCD on a terminal (seven segments, a countdown), ykman's table when piped, the
// `show --json` shape; colour only where wanted.
//
// stdout without process.stdout: building that stream loads Node's stream stack, a few ms of
// every `token show`. On Linux process.stdout writes files, pipes and terminals synchronously
// anyway, so fs.writeSync(1) behaves the same.
//
// Questions for the person at the terminal: on stderr, answers from a TTY stdin, codes without echo.
import { fstatSync, statSync, writeSync } from 'node:fs';
import { builtin } from '../../lib/builtin.js';
import type { Algorithm } from '../core/index.js';
import { printableId } from '../firmware/credential.js';
import type { Frame } from '../firmware/panel.js';
import { parseId, ykmanOrder } from '../firmware/ykoath.js';
import { HostError } from './errors.js';

/** One credential on the LCD, as the panel's display() returns it. */
export type { Frame };

/** The `show --json` shape: code, next code, step and seconds left. `remaining` is whole seconds. */
export interface ShownCode {
  name: string; issuer: string | null; type: 'totp' | 'hotp'; code: string | null; next: string | null;
  step: number | null; remaining: number | null; period: number | null; digits: number; algorithm: Algorithm;
}

export function shown(f: Frame): ShownCode {
  const type = f.hotp || f.type === 'hotp' ? 'hotp' : 'totp';
  const p = parseId(f.id, type);
  const totp = type === 'totp';
  return {
    name: p.name, issuer: p.issuer ?? null, type, code: f.code, next: totp ? f.next : null,
    step: totp ? f.step : null, remaining: totp ? Math.ceil(f.remaining) : null,
    period: totp ? f.period : null, digits: f.digits, algorithm: f.algorithm,
  };
}

/** What stands in the code column when there is no code: ykman's placeholders. */
export const placeholder = (f: Frame): string => (f.hotp || f.type === 'hotp' ? '[HOTP Account]' : '[Requires Touch]');

/** ykman's order: by (issuer or name), then name, case-insensitively. */
export const sortFrames = (frames: readonly Frame[]): Frame[] =>
  ykmanOrder(frames, (f) => parseId(f.id, f.hotp || f.type === 'hotp' ? 'hotp' : 'totp'));

// Colour only on a terminal, and never when NO_COLOR is set to anything non-empty (no-color.org).
export interface Style { color: boolean }

export const styleFor = (stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style =>
  ({ color: !!stream.isTTY && !env.NO_COLOR && env.TERM !== 'dumb' });

const sgr = (open: string) => (s: Style, text: string) => (s.color ? `\x1b[${open}m${text}\x1b[0m` : text);
export const bold = sgr('1');
export const dim = sgr('2');
export const green = sgr('32');
export const yellow = sgr('33');
export const red = sgr('31');

// The token's display on a terminal: each code drawn in seven segments, and a countdown bar.

// Segments a..g drawn with box-drawing strokes, three rows per digit.
const DIGITS: Record<string, [string, string, string]> = {
  '0': ['┏━┓', '┃ ┃', '┗━┛'], '1': ['  ╻', '  ┃', '  ╹'], '2': ['╺━┓', '┏━┛', '┗━╸'],
  '3': ['╺━┓', ' ━┫', '╺━┛'], '4': ['╻ ╻', '┗━┫', '  ╹'], '5': ['┏━╸', '┗━┓', '╺━┛'],
  '6': ['┏━╸', '┣━┓', '┗━┛'], '7': ['╺━┓', '  ┃', '  ╹'], '8': ['┏━┓', '┣━┫', '┗━┛'],
  '9': ['┏━┓', '┗━┫', '╺━┛'],
};

/** Three rows of seven-segment digits, split in two groups as tokens print them (123 456). */
export function segments(code: string): [string, string, string] {
  const half = Math.ceil(code.length / 2);
  const rows: [string, string, string] = ['', '', ''];
  [...code].forEach((c, i) => {
    const d = DIGITS[c] ?? ['   ', ' ━ ', '   '];
    for (let r = 0; r < 3; r++) rows[r] += (i === 0 ? '' : i === half ? '   ' : ' ') + d[r];
  });
  return rows;
}

export function bar(remaining: number, period: number, width = 24): string {
  const full = Math.max(0, Math.min(width, Math.round((remaining / period) * width)));
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/** One credential's block: name, digits, countdown. */
export function lcdBlock(f: Frame, s: Style): string[] {
  const lines = [bold(s, printableId(f.id))]; // shown, never obeyed by the terminal
  if (f.code === null) return [...lines, dim(s, placeholder(f)), ''];
  lines.push(...segments(f.code).map((r) => green(s, r)));
  if (f.hotp || f.type === 'hotp') {
    return [...lines, dim(s, `counter advanced; ${f.digits} digits, ${f.algorithm}`), ''];
  }
  const left = Math.ceil(f.remaining);
  const paint = left <= 5 ? red : left <= 10 ? yellow : green;
  lines.push(`${paint(s, bar(f.remaining, f.period))} ${String(left).padStart(3)}s` +
    (f.next ? dim(s, `  next ${f.next}`) : ''));
  return [...lines, ''];
}

export const lcd = (frames: readonly Frame[], s: Style): string =>
  frames.length ? frames.flatMap((f) => lcdBlock(f, s)).join('\n') : dim(s, '(no credentials)') + '\n';

// ykman's `oath accounts code` format for pipes: '{:<N}  {:>M}', N the longest id, M the longest code.
// Every cell goes out through printableId: an id a terminal would obey is shown, not obeyed.

export function table(cells: readonly (readonly [string, string])[]): string {
  const rows = cells.map(([a, b]) => [printableId(a), printableId(b)] as const);
  const n = Math.max(0, ...rows.map((r) => r[0].length)), m = Math.max(0, ...rows.map((r) => r[1].length));
  return rows.map(([a, b]) => `${a.padEnd(n)}  ${b.padStart(m)}`.trimEnd() + '\n').join('');
}

export const plainCodes = (frames: readonly Frame[]): string =>
  table(frames.map((f) => [f.id, f.code ?? placeholder(f)] as const));

/** Left-aligned columns, two spaces apart (`token list`, `token info`). */
export function columns(cells: readonly (readonly string[])[]): string {
  const rows = cells.map((r) => r.map(printableId));
  const w: number[] = [];
  for (const r of rows) r.forEach((c, i) => { w[i] = Math.max(w[i] ?? 0, c.length); });
  return rows.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd() + '\n').join('');
}

// Writing and asking.

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
