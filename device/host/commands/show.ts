// `token show [QUERY] [--json] [--watch]`: press the button, read the LCD, draw it.
import type { TokenCtx } from '../context.js';
import { HostError } from '../errors.js';
import { type Frame, shown, sortFrames, lcd, dim, styleFor, plainCodes } from '../render.js';
import { stdoutIsTerminal } from '../terminal.js';

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
