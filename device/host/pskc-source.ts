// PSKC seed files (RFC 6030) as a `token enroll` source: the file sniffed, the pre-shared key or
// password it needs found (flag, `-` for stdin, environment, or a no-echo prompt on a terminal), and
// each KeyPackage checked against what the device can hold, with errors naming the KeyPackage.
//
// With --device-dir, a vendor's batch is burned as a factory line burns it: one token per device
// serial at DIR/<serial>.dev (provision's --device-dir names its stores the same way), each made
// with that serial, each burn verified. All or nothing across the batch: every token is planned
// before the first is made, no existing token is ever overwritten, and when a burn fails the tokens
// this run made are removed again.
import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirs } from '../../lib/files.js';
import { createToken } from './api.js';
import { burn, fits, plan, type Burned } from './burn.js';
import type { TokenCtx } from './context.js';
import { checkEnrollment, refusedAs, type Enrollment } from './enrollment.js';
import { HostError } from './errors.js';
import { needsSecret, parsePskc, pskcRoot, PSKC_LIMITS } from './pskc.js';
import type { XmlElement } from './pskc-xml.js';
import { packageName } from './pskc-values.js';
import { askSecret, interactive } from './terminal.js';
import { isSerial } from '../firmware/validate.js';

/** Where a PSKC enrollment came from: its KeyPackage (1-based) and the serial printed on its device. */
export interface PskcOrigin { keyPackage: number; serial?: string; keyId: string }

export interface PskcFlags { pskcKey?: string; pskcPassword?: string; serial?: string; deviceDir?: string }

/** What a PSKC file needs to be read: its secrets on demand (asked at most once), the serial, the time. */
export interface PskcInput {
  key(): Promise<Uint8Array | undefined>;
  password(): Promise<string | undefined>;
  serial?: string;
  /** Unix ms, for Policy dates. */
  now: number;
  /** The --pskc-*, --serial and --device-dir flags given, for refusing them with another source. */
  flags: string[];
  warn(line: string): void;
}

/** XML after an optional BOM and whitespace: a declaration, a comment, or a (prefixed) KeyContainer. */
export function isPskc(b: Uint8Array): boolean {
  const head = Buffer.from(b.subarray(0, 256)).toString('latin1').replace(/^\xEF\xBB\xBF/, '').trimStart();
  return /^<(\?xml[\s?]|!--|([A-Za-z_][\w.-]*:)?KeyContainer[\s>/])/.test(head);
}

const ONSTDIN = "stdin ('-') can be read once";

function hexKey(s: string, where: string): Uint8Array {
  const t = s.trim().replace(/^0x/i, '').replace(/[\s:]/g, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(t)) {
    throw new HostError('E_USAGE', `${where} is not a key in hex (e.g. 32 hex digits for AES-128); ` +
      'give the pre-shared key as hex');
  }
  return new Uint8Array(Buffer.from(t, 'hex'));
}

/**
 * The flags turned into a PskcInput. A value on the command line is visible to other users, so it
 * draws a warning; `-` reads stdin, and TOKEN_PSKC_KEY / TOKEN_PSKC_PASSWORD are read when no flag is.
 */
export function pskcInput(f: PskcFlags, o: {
  sources: readonly string[]; now: number; warn(line: string): void; stdin(): Promise<Uint8Array>;
}): PskcInput {
  const flags = ([['pskcKey', '--pskc-key'], ['pskcPassword', '--pskc-password'], ['serial', '--serial'],
    ['deviceDir', '--device-dir']] as const).filter(([k]) => f[k] !== undefined).map(([, n]) => n);
  const dashes = [f.pskcKey, f.pskcPassword, ...o.sources].filter((v) => v === '-').length;
  if (dashes > 1) throw new HostError('E_USAGE', `${ONSTDIN}: give the PSKC file, --pskc-key or --pskc-password on it`);
  const visible = (flag: string, env: string) => o.warn(`a ${flag === '--pskc-key' ? 'key' : 'password'} on the ` +
    `command line is visible to other users (ps, shell history); use ${flag} - or ${env}`);
  const text = async (v: string | undefined, flag: string, env: string): Promise<string | undefined> => {
    if (v === '-') return Buffer.from(await o.stdin()).toString('utf8').replace(/\r?\n$/, '');
    if (v !== undefined) { visible(flag, env); return v; }
    return process.env[env];
  };
  let key: Promise<Uint8Array | undefined> | undefined, password: Promise<string | undefined> | undefined;
  return {
    flags, now: o.now, warn: o.warn, ...(f.serial !== undefined ? { serial: f.serial } : {}),
    key: () => (key ??= text(f.pskcKey, '--pskc-key', 'TOKEN_PSKC_KEY').then((v) => v === undefined ? undefined
      : hexKey(v, f.pskcKey === undefined ? 'TOKEN_PSKC_KEY' : f.pskcKey === '-' ? 'the key on stdin' : '--pskc-key'))),
    password: () => (password ??= text(f.pskcPassword, '--pskc-password', 'TOKEN_PSKC_PASSWORD')),
  };
}

/** A file's secrets: the flag's, else a no-echo prompt on a terminal, else a usage error naming the flag. */
async function secrets(root: XmlElement, p: PskcInput): Promise<{ key?: Uint8Array; password?: string }> {
  const need = needsSecret(root);
  const key = await p.key(), password = await p.password();
  if (need === 'none') {
    if (key || password !== undefined) p.warn('the PSKC file is not encrypted; the key or password given is not used');
    return {};
  }
  if (key || password !== undefined) {
    return { ...(key ? { key } : {}), ...(password !== undefined ? { password } : {}) };
  }
  const [flag, env, question] = need === 'pbkdf2'
    ? ['--pskc-password', 'TOKEN_PSKC_PASSWORD', 'PSKC file password: ']
    : ['--pskc-key', 'TOKEN_PSKC_KEY', 'PSKC pre-shared key (hex): '];
  if (!interactive()) {
    const what = need === 'pbkdf2' ? 'password' : 'pre-shared key';
    throw new HostError('E_USAGE', `the PSKC file is encrypted with a ${what}: ` +
      `give ${flag} (${flag} - reads it from stdin; ${env} also works)`);
  }
  const answer = await askSecret(question);
  return need === 'pbkdf2' ? { password: answer } : { key: hexKey(answer, 'the key typed') };
}

/** The file's KeyPackages as enrollments the device can hold, all or none. */
export async function readPskc(bytes: Uint8Array, p: PskcInput): Promise<{
  enrollments: Enrollment[]; warnings: string[]; origins: PskcOrigin[];
}> {
  if (bytes.length > PSKC_LIMITS.bytes) {
    throw new HostError('E_INPUT', `the PSKC file is ${bytes.length} bytes, ` +
      `over the ${PSKC_LIMITS.bytes / (1 << 20)} MB ` +
      'a seed file can be; split the batch');
  }
  const root = pskcRoot(bytes);
  const s = await secrets(root, p);
  const { keys } = parsePskc(root, { ...s, now: p.now, ...(p.serial !== undefined ? { serial: p.serial } : {}) });
  const warnings: string[] = [];
  for (const k of keys) {
    try { checkEnrollment(k.enrollment); } catch (e) {
      if (!(e instanceof HostError)) throw e;
      throw refusedAs(e, packageName(k.packageIndex, k.id, k.serial));
    }
    for (const w of k.warnings) warnings.push(`KeyPackage ${k.packageIndex}: ${w}`);
  }
  return {
    enrollments: keys.map((k) => k.enrollment), warnings,
    origins: keys.map((k) => ({
      keyPackage: k.packageIndex, keyId: k.id, ...(k.serial !== undefined ? { serial: k.serial } : {}),
    })),
  };
}

// The factory line (--device-dir).

export interface Device { serial: string; path: string; creds: Enrollment[] }
export interface Made { device: Device; burned: Burned[] }

/** The firmware's serial rule (printable ASCII, no spaces, 1 to 32), and a plain file name. */
const fileSerial = (s: string) => isSerial(s) && !/[/\\]/.test(s) && !s.startsWith('.');

/** Groups a batch by serial (a device may carry several keys), refusing what cannot be made. */
export function devices(dir: string, creds: readonly Enrollment[], from: readonly (PskcOrigin | null)[]): Device[] {
  const bySerial = new Map<string, Device>();
  creds.forEach((c, i) => {
    const o = from[i]!;
    // Without a SerialNo, the Key Id stands for the device, as it does for --serial.
    const serial = o.serial ?? o.keyId;
    if (!fileSerial(serial)) {
      throw new HostError('E_INPUT', `${packageName(o.keyPackage, o.keyId, serial)}: ` +
        'its serial cannot name a token (1 to 32 printable ASCII characters, no spaces, slashes or leading dot); ' +
        'nothing was enrolled');
    }
    const d = bySerial.get(serial) ?? { serial, path: join(dir, `${serial}.dev`), creds: [] };
    d.creds.push(c);
    bySerial.set(serial, d);
  });
  const all = [...bySerial.values()];
  const there = all.filter((d) => existsSync(d.path));
  if (there.length) {
    const names = there.slice(0, 5).map((d) => d.path).join(', ') +
      (there.length > 5 ? ` and ${there.length - 5} more` : '');
    throw new HostError('E_EXISTS', `${there.length === 1 ? 'a token is' : `${there.length} tokens are`} already at ` +
      `${names}; a token is never overwritten: nothing was enrolled (move ${there.length === 1 ? 'it' : 'them'} ` +
      'away, or pick one device with --serial)');
  }
  return all;
}

/** Checks every device's batch before any token is made. */
export function planAll(all: readonly Device[]): void {
  for (const d of all) {
    try { fits(plan(d.creds), []); } catch (e) {
      if (!(e instanceof HostError)) throw e;
      throw new HostError(e.code, `serial ${d.serial}: ${e.message}`, e.sw);
    }
  }
}

/** Makes and burns the (planned) tokens one by one; removes this run's tokens when one fails. */
export async function burnEach(
  ctx: TokenCtx, dir: string, all: readonly Device[], warn: (l: string) => void,
): Promise<Made[]> {
  const newDir = !existsSync(dir);
  try { makeDirs(dir); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new HostError('E_INPUT', `cannot create --device-dir ${dir}: ${code}; ` +
      'pick a writable directory');
  }
  const made: Made[] = [], created: string[] = [];
  try {
    for (const d of all) {
      // Made here, not by open({create}): a token that appeared since the check is refused, not reused.
      await createToken(d.path, { serial: d.serial }, ctx.clock);
      created.push(d.path);
      ctx.err(`created token ${d.serial} at ${d.path}\n`);
      made.push({ device: d, burned: await burn(d.creds, { open: () => ctx.open({ device: d.path }), warn }) });
    }
  } catch (e) {
    for (const p of created) rmSync(p, { force: true });
    if (newDir) { try { if (!readdirSync(dir).length) rmdirSync(dir); } catch { /* left as it is */ } }
    const err = e instanceof HostError ? e : new HostError('E_INPUT', String((e as Error).message));
    const n = created.length;
    throw new HostError(err.code, `serial ${all[made.length]!.serial}: ${err.message}; ` +
      (n ? `the ${n === 1 ? 'token' : `${n} tokens`} this run made ${n === 1 ? 'was' : 'were'} removed, ` : '') +
      'nothing was enrolled', err.sw);
  }
  return made;
}
