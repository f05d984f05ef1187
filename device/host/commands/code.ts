// `token code [QUERY] [--fresh]` (the bare code, for scripts) and `token press [QUERY]`.
import type { TokenCtx } from '../context.js';
import { HostError } from '../errors.js';
import { matchOne } from '../enrollment.js';
import type { Token } from '../token.js';
import { isTerminal } from '../terminal.js';

export interface CodeFlags { fresh?: boolean; json?: boolean }

/**
 * The wait for the next step: a countdown on a terminal; piped, one plain line, so a script's
 * log says why it paused (up to a whole period).
 */
function countdown(err: (s: string) => void): { tick(s: number): void; clear(): void } {
  let shown = false, tty: boolean | undefined;
  return {
    tick(s) {
      if ((tty ??= isTerminal(2))) err(`\r\x1b[Kthis step's code was already handed out; waiting ${s} s for the next`);
      else if (!shown) err(`waiting ${s} s for the next step (this one was handed out already)\n`);
      shown = true;
    },
    clear() { if (shown && tty) err('\r\x1b[K'); shown = false; },
  };
}

/** No query means the token's only credential; with several, naming one is the caller's job (usage). */
async function only(token: Token): Promise<string> {
  const ids = (await token.list()).map((c) => c.id);
  if (ids.length === 1) return ids[0]!;
  if (ids.length === 0) {
    throw new HostError('E_NO_MATCH', `token ${token.serial} holds no credentials: enroll one first (token enroll)`);
  }
  throw new HostError('E_USAGE',
    `token ${token.serial} holds ${ids.length} credentials (${ids.join(', ')}): name one, e.g. token code '${ids[0]}'`);
}

export async function code(ctx: TokenCtx, query: string | undefined, f: CodeFlags): Promise<void> {
  const token = await ctx.open();
  const cd = countdown(ctx.err);
  try {
    const id = query ?? await only(token);
    if (f.fresh && ctx.clock.simulated) {
      ctx.err('note: the host time is simulated (--at / TOTP_FOB_NOW), so this step is not recorded as handed out ' +
        'and may be handed out again\n');
    }
    const c = await token.code(id, {
      fresh: !!f.fresh,
      onWait: (s) => cd.tick(s),
      onTouch: () => {
        if (isTerminal(2)) ctx.err('Touch the token: press its button (`token press`) within 15 s...\n');
      },
    });
    cd.clear();
    ctx.out(f.json
      ? JSON.stringify({ id: c.id, code: c.code, step: c.step < 0 ? null : c.step }) + '\n'
      : c.code + '\n');
  } finally {
    cd.clear();
    await token.close();
  }
}

export async function press(ctx: TokenCtx, query: string | undefined): Promise<void> {
  const token = await ctx.open();
  try {
    // A query only checks that the credential exists, so a typo is not a silent press.
    if (query) matchOne((await token.list()).map((c) => c.id), query);
    await token.press();
    if (isTerminal(2)) ctx.err('pressed: touch credentials answer for the next 15 s\n');
  } finally {
    await token.close();
  }
}
