// Where a command's words go: data to stdout; warnings to stderr; progress to stderr on a TTY only.
import type { HostClock } from '../lib/clock.js';

export interface Io {
  /** One line of data on stdout. */
  out(line: string): void;
  /** A warning on stderr (always: it is about the result, not chatter). */
  warn(line: string): void;
  /** A fact about what was done on the side (a token created), on stderr. */
  note(line: string): void;
  /** An error about one item of several (a batch goes on), on stderr. */
  error(line: string): void;
  /** A transient status line on stderr, redrawn in place; '' clears it. A no-op off a TTY. */
  progress(line: string): void;
  readonly tty: boolean;
}

export function stdio(p: NodeJS.Process = process): Io {
  const tty = !!p.stderr.isTTY;
  let shown = false;
  const clear = () => { if (shown) { p.stderr.write('\r\x1b[K'); shown = false; } };
  return {
    tty,
    out: (line) => { clear(); p.stdout.write(line + '\n'); },
    warn: (line) => { clear(); p.stderr.write(`provision: warning: ${line}\n`); },
    error: (line) => { clear(); p.stderr.write(`provision: ${line}\n`); },
    note: (line) => { clear(); p.stderr.write(`provision: ${line}\n`); },
    progress: (line) => {
      if (!tty) return;
      clear();
      if (line) { p.stderr.write(line); shown = true; }
    },
  };
}

/** Collects everything (the demo and in-process tests). */
export function memoryIo(tty = false): Io & { lines: string[]; warnings: string[]; errors: string[]; notes: string[] } {
  const lines: string[] = [], warnings: string[] = [], errors: string[] = [], notes: string[] = [];
  return {
    tty, lines, warnings, errors, notes,
    out: (l) => lines.push(l), warn: (l) => warnings.push(l), error: (l) => errors.push(l), note: (l) => notes.push(l),
      progress: () => {},
  };
}

/** `say(seconds left)` on stderr, ticking each second, only on a terminal; returns what stops it. */
export function countdown(o: { clock: HostClock; io: Io }, seconds: number, say: (s: number) => string): () => void {
  if (!o.io.tty || o.clock.fixed || seconds <= 0) return () => {};
  const start = o.clock.now();
  const tick = () => o.io.progress(say(Math.max(0, Math.ceil(seconds - (o.clock.now() - start)))));
  tick();
  const t = setInterval(tick, 1000);
  return () => { clearInterval(t); o.io.progress(''); };
}
