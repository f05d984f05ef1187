// The codes: `token show [QUERY] [--json] [--watch]` (press the button, read the LCD, draw it),
// `token code [QUERY] [--fresh]` (the bare code, for scripts) and `token press [QUERY]`. cli.ts
// runs show and code without commander, so this file's imports are the start-up path: keep them light.
import type { TokenCtx } from '../context.js';
import { matchOne } from '../enrollment.js';
import { HostError } from '../errors.js';
import {
  type Frame, shown, sortFrames, lcd, dim, styleFor, plainCodes, isTerminal, stdoutIsTerminal,
} from '../terminal.js';
import type { Token } from '../token.js';

export interface ShowOptions { json?: boolean; watch?: boolean }

export function renderFrames(frames: readonly Frame[], o: ShowOptions, tty: boolean): string {
  if (o.json) return JSON.stringify(frames.map(shown), null, 2) + '\n';
  return tty ? lcd(frames, styleFor({ isTTY: true })) : plainCodes(frames);
}

export async function show(ctx: TokenCtx, query: string | undefined, o: ShowOptions): Promise<void> {
  const tty = stdoutIsTerminal();
  if (o.watch && (!tty || o.json)) {
    throw new HostError('E_USAGE',
      '--watch redraws a terminal; when piped or with --json, run `token show` once per use');
  }
  const token = await ctx.open();
  try {
    const read = async () => {
      // Piped output shows no second line, so the device need not compute it.
      const frames = sortFrames(await token.display(query, { next: tty || !!o.json }));
      if (query && frames.length === 0) throw new HostError('E_NO_MATCH', `no credential matches '${query}'`);
      return frames;
    };
    const frames = await read();
    if (!o.watch) return ctx.out(renderFrames(frames, o, tty));
    await watch(ctx, read, frames);
  } finally {
    await token.close();
  }
}

/**
 * Redraws every second (the countdown) and re-reads the display at each step boundary, until
 * Ctrl-C. Seconds are host-clock seconds, so under a fixed --at / TOTP_FOB_NOW the simulated time
 * runs at 10× (each simulated second takes 0.1 s).
 */
async function watch(ctx: TokenCtx, read: () => Promise<Frame[]>, first: Frame[]): Promise<void> {
  const clock = ctx.clock;
  let frames = first, at = clock.now();
  let stop = false;
  const onSig = () => { stop = true; };
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  ctx.out('\x1b[?25l\x1b[H\x1b[2J');
  try {
    while (!stop) {
      const gone = clock.now() - at;
      const now = frames.map((f) => ({ ...f, remaining: Math.max(0, f.remaining - gone) }));
      ctx.out('\x1b[H' + renderFrames(now, {}, true) + '\n' +
        dim(styleFor({ isTTY: true }), 'Ctrl-C to stop') + '\x1b[J');
      if (now.some((f) => f.code !== null && !f.hotp && f.remaining <= 0)) {
        frames = await read(); at = clock.now();
        continue;
      }
      await clock.sleep(1000 - ((gone * 1000) % 1000));
      if (clock.fixed) await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
    ctx.out('\x1b[?25h\n');
  }
}

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
