// ykman's `oath accounts code` format for pipes: '{:<N}  {:>M}', N the longest id, M the longest code.
// Every cell goes out through printableId: an id a terminal would obey is shown, not obeyed.
import { printableId } from '../../firmware/credential.js';
import { type Frame, placeholder } from './frame.js';

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
