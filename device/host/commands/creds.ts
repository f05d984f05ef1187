// `token enroll`, `token list`, `token delete`, `token rename`: credentials by metadata only.
import { idProblem, printableId } from '../../firmware/credential.js';
import type { TokenCtx } from '../context.js';
import { checkEnrollment, type Enrollment } from '../enrollment.js';
import { HostError } from '../errors.js';
import { matchOne } from '../ids.js';
import { columns } from '../render.js';
import { fromArgument, fromFlags, readStdin, type Found } from '../sources.js';

export interface EnrollFlags {
  secret?: string; name?: string; issuer?: string; algorithm?: string; digits?: string; period?: string;
  hotp?: boolean; counter?: string; touch?: boolean; json?: boolean;
}

async function gather(ctx: TokenCtx, source: string | undefined, f: EnrollFlags): Promise<Found> {
  const envSecret = process.env.TOKEN_SECRET;
  const flagOnly = ['algorithm', 'digits', 'period', 'hotp', 'counter'] as const;
  if (source !== undefined) {
    if (f.secret !== undefined) throw new HostError('E_USAGE', 'give either SOURCE or --secret, not both');
    const stray = flagOnly.find((k) => f[k] !== undefined);
    if (stray) {
      throw new HostError('E_USAGE', `--${stray} goes with --secret; a URI or QR code carries its own parameters`);
    }
    const found = await fromArgument(source);
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

export async function enroll(ctx: TokenCtx, source: string | undefined, f: EnrollFlags): Promise<void> {
  const found = await gather(ctx, source, f);
  if (found.enrollments.length === 0) throw new HostError('E_INPUT', 'the source holds no credentials');
  const creds: Enrollment[] = found.enrollments.map((e) => ({ ...e, touch: !!f.touch || !!e.touch }));
  // Refuse what the device cannot hold before the first enroll creates the device.
  for (const c of creds) checkEnrollment(c);
  for (const w of found.warnings) ctx.err(`warning: ${w}\n`);
  const token = await ctx.open({
    create: true, onCreate: (serial, path) => ctx.err(`created token ${serial} at ${path}\n`),
  });
  const done: CredentialJson[] = [];
  try {
    for (const cred of creds) {
      const { id, warnings } = await token.enroll(cred);
      for (const w of warnings) ctx.err(`warning: ${id}: ${w}\n`);
      done.push(credentialJson({ ...cred, id, name: cred.account, touch: !!cred.touch }));
      if (!f.json) ctx.out(`enrolled ${printableId(id)}\n`);
    }
  } finally {
    await token.close();
  }
  if (f.json) ctx.out(JSON.stringify(done) + '\n');
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
  const why = idProblem(to);
  if (why) {
    throw new HostError('E_USAGE',
      `the new name holds ${why}, which a terminal would act on instead of showing; remove it`);
  }
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
