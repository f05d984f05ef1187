// Helpers for the firmware suites: a fresh device in a temp dir, hex in and out, a clock to hold.
import { join } from 'node:path';
import { tempDir } from '../../helpers.js';
import { boot, manufacture, type BootOptions, type Device } from '../../../device/firmware/index.js';

/** Hex with any spacing, and "quoted ASCII" runs: h('71 04 "sha1"'). */
export function h(s: string): Uint8Array {
  const parts = s.match(/"[^"]*"|[0-9a-fA-F]{2}|\S/g) ?? [];
  const out: number[] = [];
  for (const p of parts) {
    if (p.startsWith('"')) out.push(...Buffer.from(p.slice(1, -1), 'utf8'));
    else if (/^[0-9a-fA-F]{2}$/.test(p)) out.push(parseInt(p, 16));
    else throw new Error(`bad hex token ${p} in ${s}`);
  }
  return Uint8Array.from(out);
}

export const x = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

/** Sends hex, returns the response as uppercase hex (data ‖ SW). */
export const tx = async (d: Device, s: string | Uint8Array): Promise<string> =>
  x(await d.card.transmit(typeof s === 'string' ? h(s) : s));

/** A host clock the test moves by hand; sleep advances it, so waits take no real time. */
export function manualClock(start = 1_700_000_000) {
  let t = start;
  return {
    now: () => t,
    set: (v: number) => { t = v; },
    advance: (s: number) => { t += s; },
    sleep: async (ms: number) => { t += ms / 1000; },
  };
}

export interface Fresh {
  dir: string; path: string; clock: ReturnType<typeof manualClock>; dev: Device; done(): Promise<void>;
}

export async function fresh(
  o: Partial<BootOptions> & { driftPpm?: number | 'random'; serial?: string } = {},
): Promise<Fresh> {
  const t = tempDir('fw-');
  const path = join(t.dir, 'token.dev');
  const clock = manualClock();
  await manufacture(path, {
    now: clock.now, ...(o.driftPpm !== undefined ? { driftPpm: o.driftPpm } : {}),
    ...(o.serial ? { serial: o.serial } : {}),
  });
  const dev = await boot({ path, now: clock.now, sleep: clock.sleep, ...o });
  return { dir: t.dir, path, clock, dev, done: async () => { await dev.close(); t.done(); } };
}

export const SELECT = '00 A4 04 00 07 A0 00 00 05 27 21 01';

/** writer.ts bundled once into one file, so each spawn starts in tens of ms instead of tsx's hundreds. */
export async function writerScript(dir: string): Promise<string> {
  const { build } = await import('esbuild');
  const out = join(dir, 'writer.mjs');
  await build({
    entryPoints: [new URL('./writer.ts', import.meta.url).pathname], bundle: true, platform: 'node', format: 'esm',
    outfile: out, logLevel: 'error',
  });
  return out;
}

/** GET INFO (80 10) read by hand, tag by tag, to the fields tests look at. */
export async function info(
  d: Device,
): Promise<{ count: number; codeSet: boolean; retries: number; tags: Map<number, string> }> {
  const r = await d.card.transmit(h('80 10 00 00 00'));
  if (x(r.subarray(-2)) !== '9000') throw new Error(`GET INFO answered ${x(r)}`);
  const tags = new Map<number, string>();
  for (let i = 0; i < r.length - 2; i += 2 + r[i + 1]!) tags.set(r[i]!, x(r.subarray(i + 2, i + 2 + r[i + 1]!)));
  return {
    count: parseInt(tags.get(0x83)!, 16), codeSet: tags.get(0x88) === '01',
    retries: parseInt(tags.get(0x89)!, 16), tags,
  };
}
