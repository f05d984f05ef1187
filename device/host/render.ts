// Drawing what the token shows: the LCD on a terminal (seven segments, a countdown), ykman's
// table when piped, the `show --json` shape; colour only where wanted.
import type { Algorithm } from '../core/index.js';
import { printableId } from '../firmware/credential.js';
import type { Frame } from '../firmware/panel.js';
import { parseId, ykmanOrder } from '../firmware/ykoath.js';

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
