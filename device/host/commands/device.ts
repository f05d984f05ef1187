// The device as a whole: `token init`, `token info`, `token time [sync]`, `token reset`,
// `token access set|change|clear` (the YKOATH access code), `token selftest` (the vector table
// through the core) and `token apdu HEX...` (the raw door). Access codes come from a no-echo prompt
// on a terminal, or TOKEN_ACCESS_CODE (the current one) and TOKEN_NEW_ACCESS_CODE (for change).
import { createToken, openCard } from '../api.js';
import { traceCommand } from '../channel.js';
import type { TokenCtx } from '../context.js';
import { HostError } from '../errors.js';
import { hex } from '../oath-client.js';
import { askSecret, columns, confirm, interactive } from '../terminal.js';
import { checkNewAccessCode, MIN_ACCESS_CODE } from '../token.js';
import { isSerial } from '../../firmware/validate.js';

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
  if (o.serial !== undefined && !isSerial(o.serial)) {
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
    ctx.out(columns([
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
    ctx.out(columns([
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

/** A new access code: from `envName`, else typed twice at a terminal; checked before it is used. */
async function newCode(envName: string): Promise<string> {
  const env = process.env[envName];
  if (env !== undefined) {
    if (!env) throw new HostError('E_USAGE', `${envName} is empty`);
    checkNewAccessCode(env);
    return env;
  }
  if (!interactive()) throw new HostError('E_USAGE', `no terminal to ask for the new access code on: set ${envName}`);
  const a = await askSecret(`New access code (at least ${MIN_ACCESS_CODE} characters): `);
  if (!a) throw new HostError('E_USAGE', 'the access code is empty');
  checkNewAccessCode(a);
  if ((await askSecret('Repeat it: ')) !== a) throw new HostError('E_USAGE', 'the two codes differ; nothing changed');
  return a;
}

export async function access(ctx: TokenCtx, action: string): Promise<void> {
  if (!['set', 'change', 'clear'].includes(action)) {
    throw new HostError('E_USAGE', `unknown access action '${action}' (use set, change or clear)`);
  }
  // Look before unlocking: `access set` on a locked token must not spend a try on the new code.
  const peek = await ctx.open({ unlock: false });
  let set: boolean;
  try { set = (await peek.info()).accessCode; } finally { await peek.close(); }
  if (action === 'set' && set) {
    throw new HostError('E_EXISTS', 'an access code is already set: use `token access change`');
  }
  if (action !== 'set' && !set) throw new HostError('E_NO_MATCH', 'no access code is set: use `token access set`');
  // A new code that will be refused costs no unlock: it is read first, unless a person is to be
  // asked for the current code before the new one.
  const next = action === 'set' ? await newCode('TOKEN_ACCESS_CODE')
    : action === 'change' && process.env.TOKEN_NEW_ACCESS_CODE !== undefined
      ? await newCode('TOKEN_NEW_ACCESS_CODE') : undefined;
  const token = await ctx.open();
  try {
    if (action === 'set') {
      await token.setAccessCode(next!);
      return ctx.out(`access code set on token ${token.serial}: ` +
        'it is asked at every use, and 8 wrong tries wipe the token\n');
    }
    if (action === 'change') {
      await token.setAccessCode(next ?? await newCode('TOKEN_NEW_ACCESS_CODE'));
      return ctx.out(`access code changed on token ${token.serial}\n`);
    }
    await token.clearAccessCode();
    ctx.out(`access code removed from token ${token.serial}\n`);
  } finally { await token.close(); }
}

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
