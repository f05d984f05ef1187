// The token's display on a terminal: each code drawn in seven segments, and a countdown bar.
import { printableId } from '../../firmware/credential.js';
import { type Frame, placeholder } from './frame.js';
import { bold, dim, green, red, type Style, yellow } from './style.js';

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
  if (f.hotp || f.type === 'hotp') return [...lines, dim(s, `counter advanced; ${f.digits} digits, ${f.algorithm}`), ''];
  const left = Math.ceil(f.remaining);
  const paint = left <= 5 ? red : left <= 10 ? yellow : green;
  lines.push(`${paint(s, bar(f.remaining, f.period))} ${String(left).padStart(3)}s` + (f.next ? dim(s, `  next ${f.next}`) : ''));
  return [...lines, ''];
}

export const lcd = (frames: readonly Frame[], s: Style): string =>
  frames.length ? frames.flatMap((f) => lcdBlock(f, s)).join('\n') : dim(s, '(no credentials)') + '\n';
