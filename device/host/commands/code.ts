// `token code QUERY [--fresh]` (the bare code, for scripts) and `token press [QUERY]`.
import type { Ctx } from '../context.js';
import { matchOne } from '../ids.js';

export interface CodeFlags { fresh?: boolean; json?: boolean }

/** A one-line countdown on stderr, on a terminal only; returns the eraser. */
function countdown(): { tick(s: number): void; clear(): void } {
  const tty = !!process.stderr.isTTY;
  let shown = false;
  return {
    tick(s) {
      if (!tty) return;
      process.stderr.write(`\r\x1b[Kthis step's code was already handed out; waiting ${s} s for the next`);
      shown = true;
    },
    clear() { if (shown) process.stderr.write('\r\x1b[K'); },
  };
}

export async function code(ctx: Ctx, query: string, f: CodeFlags): Promise<void> {
  const token = await ctx.open();
  const cd = countdown();
  try {
    const c = await token.code(query, {
      fresh: !!f.fresh,
      onWait: (s) => cd.tick(s),
      onTouch: () => { if (process.stderr.isTTY) ctx.err('Touch the token: press its button (`token press`) within 15 s...\n'); },
    });
    cd.clear();
    ctx.out(f.json ? JSON.stringify({ id: c.id, code: c.code, step: c.step < 0 ? null : c.step }) + '\n' : c.code + '\n');
  } finally {
    cd.clear();
    await token.close();
  }
}

export async function press(ctx: Ctx, query: string | undefined): Promise<void> {
  const token = await ctx.open();
  try {
    // A query only checks that the credential exists, so a typo is not a silent press.
    if (query) matchOne((await token.list()).map((c) => c.id), query);
    await token.press();
    if (process.stderr.isTTY) ctx.err('pressed: touch credentials answer for the next 15 s\n');
  } finally {
    await token.close();
  }
}
