// `token init`, `token info`, `token time [sync]`, `token reset`: the device as a whole.
import { createToken } from '../api.js';
import type { TokenCtx } from '../context.js';
import { HostError } from '../errors.js';
import { confirm, interactive } from '../terminal.js';
import { columns as table } from '../render.js';

const iso = (s: number) => new Date(Math.floor(s) * 1000).toISOString().replace('.000Z', 'Z');
const signed = (n: number, digits: number) => (n >= 0 ? '+' : '') + n.toFixed(digits);

export function parseDrift(v: string | undefined): number | 'random' | undefined {
  if (v === undefined) return undefined;
  if (v === 'random') return 'random';
  if (!/^[+-]?\d+(\.\d+)?$/.test(v.trim()) || Math.abs(Number(v)) > 1000) {
    throw new HostError('E_USAGE', `--drift-ppm takes a number of ppm within ±1000, or 'random' (got '${v}')`);
  }
  return Number(v);
}

export async function init(ctx: TokenCtx, o: { serial?: string; driftPpm?: string; json?: boolean }): Promise<void> {
  const drift = parseDrift(o.driftPpm);
  if (o.serial !== undefined && !/^[\x21-\x7e]{1,32}$/.test(o.serial)) {
    throw new HostError('E_USAGE',
      `--serial takes 1 to 32 printable ASCII characters without spaces (or leave it out for a random one)`);
  }
  const { serial } = await createToken(ctx.path, {
    ...(o.serial !== undefined ? { serial: o.serial } : {}), ...(drift !== undefined ? { driftPpm: drift } : {}),
  }, ctx.clock);
  ctx.out(o.json ? JSON.stringify({ serial, path: ctx.path }) + '\n' : `created token ${serial} at ${ctx.path}\n`);
}

export async function info(ctx: TokenCtx, o: { json?: boolean }): Promise<void> {
  // GET INFO answers while locked: no access code needed to see the identity and tries left.
  const token = await ctx.open({ unlock: false });
  try {
    const i = await token.info();
    if (o.json) {
      return ctx.out(JSON.stringify({
        serial: i.serial, model: i.model, firmware: i.firmware, path: ctx.path,
        credentials: i.credentials, capacity: i.capacity,
        deviceTime: i.rtcMs / 1000, driftPpm: i.driftPpm, manufactured: iso(i.manufacturedMs / 1000),
        accessCode: i.accessCode, retries: i.retries,
      }) + '\n');
    }
    ctx.out(table([
      ['serial', i.serial], ['model', i.model], ['firmware', i.firmware], ['store', ctx.path],
      ['credentials', `${i.credentials} of ${i.capacity}`], ['clock', iso(i.rtcMs / 1000)],
      ['drift', `${signed(i.driftPpm, 3)} ppm (${signed(i.driftPpm * 0.0864, 2)} s/day)`],
      ['manufactured', iso(i.manufacturedMs / 1000)],
      ['access code', i.accessCode ? `set (${i.retries} ${i.retries === 1 ? 'try' : 'tries'} left)` : 'not set'],
    ].map(([a, b]) => [a!, b!] as const)));
  } finally { await token.close(); }
}

export async function time(
  ctx: TokenCtx, action: string | undefined, o: { force?: boolean; json?: boolean },
): Promise<void> {
  if (action !== undefined && action !== 'sync') {
    throw new HostError('E_USAGE', `unknown time action '${action}' (use \`token time\` or \`token time sync\`)`);
  }
  if (o.force && action !== 'sync') throw new HostError('E_USAGE', '--force is for `token time sync`');
  // READ CLOCK answers while locked; setting the clock needs the access code.
  const token = await ctx.open(action === 'sync' ? {} : { unlock: false });
  try {
    if (action === 'sync') {
      const { before, after } = await token.setTime(!!o.force);
      const host = ctx.clock.now();
      if (o.json) return ctx.out(JSON.stringify({ device: after, host, was: before }) + '\n');
      return ctx.out(`device clock set to ${iso(after)} (it was ${signed(before - host, 1)} s off)\n`);
    }
    const device = await token.deviceTime(), host = ctx.clock.now(), off = device - host;
    if (o.json) return ctx.out(JSON.stringify({ device, host, offset: off, steps: off / 30 }) + '\n');
    ctx.out(table([
      ['device', iso(device)], ['host', iso(host) + (ctx.clock.simulated ? ' (simulated)' : '')],
      ['offset', `${signed(off, 3)} s (${signed(off / 30, 2)} steps of 30 s)`],
    ]));
  } finally { await token.close(); }
}

export async function reset(ctx: TokenCtx, o: { yes?: boolean }): Promise<void> {
  if (!o.yes && !interactive()) {
    throw new HostError('E_USAGE', 'reset wipes every credential: confirm with --yes (there is no terminal to ask on)');
  }
  // RESET needs no access code: it is the way out of a forgotten one.
  const token = await ctx.open({ unlock: false });
  try {
    if (!o.yes && !(await confirm(`Wipe every credential and the access code of token ${token.serial}?`))) {
      throw new HostError('E_CANCELLED', 'reset cancelled: nothing was wiped');
    }
    await token.reset();
    ctx.out(`token ${token.serial} reset: no credentials, no access code\n`);
  } finally { await token.close(); }
}
