// `token selftest` (the vector table through the core) and `token apdu HEX...` (the raw door).
import { openCard } from '../api.js';
import type { TokenCtx } from '../context.js';
import { HostError } from '../errors.js';
import { columns } from '../render.js';
import { traceCommand } from '../channel.js';
import { hex } from '../oath-client.js';

export async function selftest(ctx: TokenCtx, o: { json?: boolean }): Promise<void> {
  const { runSelftest } = await import('../selftest.js');
  const rows = runSelftest();
  const failed = rows.filter((r) => !r.ok).length;
  if (o.json) ctx.out(JSON.stringify({ vectors: rows, passed: rows.length - failed, failed }) + '\n');
  else {
    ctx.out(columns(rows.map((r) => [r.id, String(r.expected), String(r.got), r.ok ? 'ok' : 'FAIL'])));
    ctx.out(`${rows.length} vectors: ${rows.length - failed} ok, ${failed} failed\n`);
  }
  if (failed) process.exitCode = 1;
}

export function parseHex(arg: string, n = 1): Uint8Array {
  const h = arg.replace(/[\s:]/g, '');
  // Not echoed: a mistyped PUT or SET CODE carries a seed or a key.
  if (!/^([0-9a-fA-F]{2})+$/.test(h) || h.length < 8) {
    throw new HostError('E_USAGE', `APDU ${n} is not hex of at least CLA INS P1 P2 (e.g. 00A4040007A0000005272101)`);
  }
  return new Uint8Array(Buffer.from(h, 'hex'));
}

/** The command as --trace shows it (PUT and SET CODE data redacted), without the spaces. */
const shownCommand = (c: Uint8Array): string => traceCommand(c).slice(2).replace(/ (?!<)/g, '');

export async function apdu(ctx: TokenCtx, args: string[], o: { raw?: boolean; json?: boolean }): Promise<void> {
  const cmds = args.map((a, i) => parseHex(a, i + 1));
  // Without --raw the applet is SELECTed first (and unlocked when TOKEN_ACCESS_CODE is given).
  const card = await openCard({
    device: ctx.path, clock: ctx.clock, select: !o.raw, ...(ctx.trace ? { trace: ctx.trace } : {}),
  });
  const out: { command: string; response: string; sw: string }[] = [];
  try {
    for (const c of cmds) {
      const r = await card.transmit(c);
      out.push({
        command: shownCommand(c),
        response: hex(r.subarray(0, r.length - 2)).toUpperCase(),
        sw: hex(r.subarray(r.length - 2)).toUpperCase(),
      });
    }
  } finally { await card.close(); }
  ctx.out(o.json ? JSON.stringify(out) + '\n' : out.map((x) => x.response + x.sw + '\n').join(''));
}
