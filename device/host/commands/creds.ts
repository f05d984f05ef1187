// `token enroll`, `token list`, `token delete`, `token rename`: credentials by metadata only.
import { printableId } from '../../firmware/credential.js';
import type { TokenCtx } from '../context.js';
import { checkShownId, matchOne, type Enrollment } from '../enrollment.js';
import { HostError } from '../errors.js';
import { columns } from '../terminal.js';
import { burn, plan, type Burned } from '../burn.js';
import { accessCode } from '../context.js';
import type { Part } from '../migration.js';
import { burnEach, devices, planAll, pskcInput, type PskcFlags, type PskcOrigin } from '../pskc-source.js';
import { fromArgument, fromFlags, merge, readStdin, type Found } from '../sources.js';

export interface EnrollFlags extends PskcFlags {
  secret?: string; name?: string; issuer?: string; algorithm?: string; digits?: string; period?: string;
  hotp?: boolean; counter?: string; touch?: boolean; json?: boolean;
  /** The global --device was given (it and --device-dir exclude each other). */
  device?: string;
}

async function gather(ctx: TokenCtx, sources: readonly string[], f: EnrollFlags): Promise<Found> {
  const envSecret = process.env.TOKEN_SECRET;
  const flagOnly = ['algorithm', 'digits', 'period', 'hotp', 'counter'] as const;
  const notes: string[] = [];
  const pskc = pskcInput(f, {
    sources, now: ctx.clock.now() * 1000, warn: (l) => { notes.push(l); }, stdin: () => readStdin(),
  });
  if (sources.length > 0) {
    if (f.secret !== undefined) throw new HostError('E_USAGE', 'give either SOURCE or --secret, not both');
    const stray = flagOnly.find((k) => f[k] !== undefined);
    if (stray) {
      throw new HostError('E_USAGE', `--${stray} goes with --secret; a URI or QR code carries its own parameters`);
    }
    if (f.serial !== undefined && sources.length > 1) {
      throw new HostError('E_USAGE', '--serial picks a KeyPackage out of one PSKC file; give one SOURCE');
    }
    const all: Found[] = [];
    for (const s of sources) all.push(await fromArgument(s, () => readStdin(), { pskc }));
    const found = merge(all);
    found.warnings.push(...notes);
    // Each URI argument adds the same warning.
    found.warnings = [...new Set(found.warnings)];
    if (f.name !== undefined || f.issuer !== undefined) {
      if (found.enrollments.length !== 1) {
        throw new HostError('E_USAGE', '--name and --issuer rename a single credential; this source holds several');
      }
      const e = found.enrollments[0]!;
      if (f.name !== undefined) e.account = f.name;
      if (f.issuer !== undefined) { if (f.issuer) e.issuer = f.issuer; else delete e.issuer; }
    }
    return found;
  }
  if (pskc.flags.length) {
    const are = pskc.flags.length === 1 ? 'is' : 'are';
    throw new HostError('E_USAGE', `${pskc.flags.join(', ')} ${are} for PSKC files: ` +
      'give the file as SOURCE');
  }
  let secret = f.secret;
  if (secret === '-') secret = Buffer.from(await readStdin()).toString('utf8');
  else if (secret !== undefined) {
    ctx.err('warning: a secret on the command line is visible to other users (ps, shell history); ' +
      'use --secret - or TOKEN_SECRET\n');
  } else if (envSecret !== undefined) secret = envSecret;
  if (secret === undefined) {
    throw new HostError('E_USAGE', 'nothing to enroll: give SOURCE (an otpauth:// URI, a PNG, or - for stdin) ' +
      'or --secret (BASE32, -, or TOKEN_SECRET)');
  }
  return fromFlags({ ...f, secret });
}

/** One credential's metadata, the same shape from `enroll --json` and `list --json`. */
export interface CredentialJson {
  id: string; name: string; issuer: string | null; type: 'totp' | 'hotp'; algorithm: string;
  digits: number; period: number | null; touch: boolean;
}
const credentialJson = (c: {
  id: string; name: string; issuer?: string; type: 'totp' | 'hotp'; algorithm: string;
  digits: number; period: number; touch: boolean;
}): CredentialJson => ({
  id: c.id, name: c.name, issuer: c.issuer ?? null, type: c.type, algorithm: c.algorithm,
  digits: c.digits, period: c.type === 'totp' ? c.period : null, touch: c.touch,
});

/** What `enroll --json` says of each credential: its metadata, the proof of the burn, where it came from. */
export interface EnrolledJson extends CredentialJson {
  verified: true;
  /** HOTP: the counter the token now stands at. */
  counter?: number;
  /** From a Google Authenticator export: which of its parts (1-based). */
  part?: { number: number; of: number; batchId: number };
  /** From a PSKC file: its device's serial (absent when the KeyPackage names none) and KeyPackage (1-based). */
  serial?: string;
  keyPackage?: number;
  /** With --device-dir: the token it was burned into. */
  device?: string;
}

/** `part 2 of 3`, or `parts 1 and 3 of 3 (part 2 is missing)`, per export batch; nothing for single codes. */
export function partLines(parts: readonly (Part | null)[]): string[] {
  const batches = new Map<string, { size: number; seen: Set<number> }>();
  for (const p of parts) {
    if (!p || p.size <= 1) continue;
    const k = `${p.id}/${p.size}`, b = batches.get(k) ?? { size: p.size, seen: new Set<number>() };
    b.seen.add(p.index + 1);
    batches.set(k, b);
  }
  const and = (n: number[]) => n.length === 1 ? `${n[0]}` : `${n.slice(0, -1).join(', ')} and ${n[n.length - 1]}`;
  return [...batches.values()].map(({ size, seen }) => {
    const have = [...seen].sort((a, b) => a - b);
    const missing = Array.from({ length: size }, (_, i) => i + 1).filter((i) => !seen.has(i));
    const what = `${have.length === 1 ? 'part' : 'parts'} ${and(have)} of ${size} of a Google Authenticator export`;
    return missing.length === 0 ? what
      : `${what} (${missing.length === 1 ? 'part' : 'parts'} ${and(missing)} ${missing.length === 1 ? 'is' : 'are'} ` +
        'not in this enrollment)';
  });
}

const fromPskc = (o: PskcOrigin | null | undefined) =>
  o ? { ...(o.serial !== undefined ? { serial: o.serial } : {}), keyPackage: o.keyPackage } : {};

export async function enroll(ctx: TokenCtx, sources: readonly string[], f: EnrollFlags): Promise<void> {
  if (f.deviceDir !== undefined && f.device !== undefined) {
    throw new HostError('E_USAGE',
      '--device-dir makes one token per serial; --device names one token: give one of them');
  }
  if (f.deviceDir !== undefined && !f.deviceDir.trim()) {
    throw new HostError('E_USAGE', '--device-dir needs a directory');
  }
  const found = await gather(ctx, sources, f);
  if (found.enrollments.length === 0) throw new HostError('E_INPUT', 'the source holds no credentials');
  const creds: Enrollment[] = found.enrollments.map((e) => ({ ...e, touch: !!f.touch || !!e.touch }));
  const partOf = new Map(creds.map((c, i) => [c, found.parts?.[i] ?? null] as const));
  const pkgOf = new Map(creds.map((c, i) => [c, found.packages?.[i] ?? null] as const));
  if (f.deviceDir !== undefined) return enrollEach(ctx, f.deviceDir, creds, found, pkgOf, !!f.json);
  plan(creds); // a refusal comes first, alone, before warnings about the input
  for (const w of found.warnings) ctx.err(`warning: ${w}\n`);
  // The power cycle opens the token twice: a typed access code is asked for once.
  let code: Promise<string> | undefined;
  const burned = await burn(creds, {
    open: () => ctx.open({
      create: true, onCreate: (serial, path) => ctx.err(`created token ${serial} at ${path}\n`),
      accessCode: () => (code ??= accessCode()),
    }),
    warn: (w) => ctx.err(`warning: ${w}\n`),
  });
  for (const l of partLines(found.parts ?? [])) ctx.err(`${l}\n`);
  report(ctx, burned.map((b) => ({ b, part: partOf.get(b.enrollment), from: pkgOf.get(b.enrollment) })), !!f.json);
}

/** `--device-dir`: one token per serial, all or nothing (pskc-source.ts). */
async function enrollEach(ctx: TokenCtx, dir: string, creds: Enrollment[], found: Found,
  pkgOf: Map<Enrollment, PskcOrigin | null>, json: boolean): Promise<void> {
  const each = devices(dir, creds, creds.map((c) => pkgOf.get(c) ?? null));
  planAll(each); // a refusal comes first, alone, before warnings about the input
  const warn = (w: string) => ctx.err(`warning: ${w}\n`);
  for (const w of found.warnings) warn(w);
  const made = await burnEach(ctx, dir, each, warn);
  const rows = made.flatMap((m) => m.burned.map((b) => ({ b, from: pkgOf.get(b.enrollment), device: m.device.path })));
  report(ctx, rows, json);
}

interface Row { b: Burned; part?: Part | null | undefined; from?: PskcOrigin | null | undefined; device?: string }

function report(ctx: TokenCtx, rows: readonly Row[], json: boolean): void {
  if (!json) {
    for (const { b, from, device } of rows) {
      ctx.out(`enrolled ${printableId(b.id)} (verified)` +
        (from?.serial !== undefined ? ` serial ${from.serial}` : '') +
        (device !== undefined ? ` at ${device}` : '') + '\n');
    }
    return;
  }
  ctx.out(JSON.stringify(rows.map(({ b, part: p, from, device }): EnrolledJson => {
    const e = b.enrollment;
    return {
      ...credentialJson({ ...e, id: b.id, name: e.account, touch: !!e.touch }), verified: b.verified,
      ...(b.counter !== undefined ? { counter: b.counter } : {}),
      ...(p && p.size > 1 ? { part: { number: p.index + 1, of: p.size, batchId: p.id } } : {}),
      ...fromPskc(from), ...(device !== undefined ? { device } : {}),
    };
  })) + '\n');
}

export async function list(ctx: TokenCtx, o: { json?: boolean }): Promise<void> {
  const token = await ctx.open();
  try {
    const all = await token.list();
    if (o.json) return ctx.out(JSON.stringify(all.map(credentialJson)) + '\n');
    ctx.out(columns(all.map((c) => [
      c.id, c.type, c.algorithm, `${c.digits} digits`, c.type === 'totp' ? `${c.period} s` : '', c.touch ? 'touch' : '',
    ])));
  } finally { await token.close(); }
}

export async function remove(ctx: TokenCtx, query: string): Promise<void> {
  const token = await ctx.open();
  try {
    const id = matchOne((await token.list()).map((c) => c.id), query);
    await token.remove(id);
    ctx.out(`deleted ${printableId(id)}\n`);
  } finally { await token.close(); }
}

/** NEW is `[issuer:]name`; a TOTP id keeps its `period/` prefix (YKOATH RENAME does too). */
export async function rename(ctx: TokenCtx, query: string, to: string): Promise<void> {
  if (/^\d+\//.test(to)) throw new HostError('E_USAGE', `give NEW as [issuer:]name; the period prefix stays as it is`);
  checkShownId(to);
  const token = await ctx.open();
  try {
    const all = await token.list();
    const id = matchOne(all.map((c) => c.id), query);
    const c = all.find((x) => x.id === id)!;
    const newId = (c.type === 'totp' && c.period !== 30 ? `${c.period}/` : '') + to;
    await token.rename(id, newId);
    ctx.out(`renamed ${printableId(id)} to ${printableId(newId)}\n`);
  } finally { await token.close(); }
}
