// Picks the enrollment source for a SOURCE argument: `-` (stdin), an otpauth:// URI, or a file
// whose bytes say what it is (a PNG, URIs, a PSKC file). Formats are sniffed from content, never from the file name.
import { algorithmOf, base32Decode, parseKeyUri } from '../core/index.js';
import type { Enrollment } from './enrollment.js';
import { HostError } from './errors.js';
import { readCapped, readStdin } from './input.js';
import { isMigrationUri, parseMigrationUri, type Part } from './migration.js';
import { isPskc, readPskc, type PskcInput, type PskcOrigin } from './pskc-source.js';
import { isPng, readQr } from './qr.js';

export { readStdin } from './input.js';

export interface Found {
  enrollments: Enrollment[];
  warnings: string[];
  /** Beside each enrollment, the Google Authenticator export part it came from (null: none). */
  parts?: (Part | null)[];
  /** Beside each enrollment, the PSKC KeyPackage it came from (null: none). */
  packages?: (PskcOrigin | null)[];
}

/** Several sources' findings as one batch (`token enroll a.png b.png`). */
export function merge(all: readonly Found[]): Found {
  const out: Found = { enrollments: [], warnings: [], parts: [], packages: [] };
  for (const f of all) {
    out.enrollments.push(...f.enrollments);
    out.warnings.push(...f.warnings);
    out.parts!.push(...f.enrollments.map((_, i) => f.parts?.[i] ?? null));
    out.packages!.push(...f.enrollments.map((_, i) => f.packages?.[i] ?? null));
  }
  return out;
}

/** One enrollment format. A new format (Google Authenticator export, PSKC) is one more of these. */
export interface Source {
  readonly name: string;
  /** Cheap look at the bytes: is this mine? */
  sniff(bytes: Uint8Array): boolean;
  read(bytes: Uint8Array, o?: ReadOptions): Promise<Found>;
}

/** What a source may need beyond its bytes: a PSKC file's key or password, serial, and time. */
export interface ReadOptions { pskc?: PskcInput }

// otpauth:// key URIs, one per line (Google's Key Uri Format; AWS's label form included).

export function fromUri(uri: string): Found {
  const k = parseKeyUri(uri);
  const e: Enrollment = {
    account: k.account, secret: k.secret, type: k.type, algorithm: k.algorithm,
    digits: k.digits, period: k.type === 'hotp' ? 30 : k.period, counter: k.counter,
    ...(k.issuer !== undefined ? { issuer: k.issuer } : {}),
  };
  return { enrollments: [e], warnings: k.warnings };
}

const PREFIX = 'otpauth://';

/** A one-per-line input's lines (BOM, blanks and edge spaces gone), refused past `max` with `tooMany(n)`. */
function inputLines(b: Uint8Array, max: number, tooMany: (n: number) => string): string[] {
  const lines = Buffer.from(b).toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/)
    .map((l) => l.trim()).filter(Boolean);
  if (lines.length > max) throw new HostError('E_INPUT', tooMany(lines.length));
  return lines;
}

export const uriSource: Source = {
  name: 'otpauth URI',
  sniff: (b) => Buffer.from(b.subarray(0, 64)).toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '')
    .trimStart().toLowerCase().startsWith(PREFIX),
  async read(b) {
    const lines = inputLines(b, 64, (n) => `${n} URIs given; the token holds at most 64 credentials`);
    const out: Found = { enrollments: [], warnings: [] };
    for (const l of lines) {
      const f = fromUri(l);
      out.enrollments.push(...f.enrollments); out.warnings.push(...f.warnings);
    }
    return out;
  },
};

// Google Authenticator's export, `otpauth-migration://offline?data=...`, one per line.

export function fromMigration(uri: string): Found {
  const m = parseMigrationUri(uri);
  return { enrollments: m.enrollments, warnings: m.warnings, parts: m.enrollments.map(() => m.part) };
}

const MIGRATION_LINES = 64;

export const migrationSource: Source = {
  name: 'Google Authenticator export',
  sniff: (b) => isMigrationUri(Buffer.from(b.subarray(0, 64)).toString('latin1').replace(/^\xEF\xBB\xBF/, '')),
  async read(b) {
    const lines = inputLines(b, MIGRATION_LINES,
      (n) => `${n} export URIs given; at most ${MIGRATION_LINES} are read at once`);
    return merge(lines.map(fromMigration));
  },
};

// A PNG holding a QR code of an otpauth:// URI (a screenshot, or AWS's QRCodePNG) or of an export.

export const qrPngSource: Source = {
  name: 'QR code PNG',
  sniff: isPng,
  async read(b) {
    const text = await readQr(b);
    if (isMigrationUri(text)) return fromMigration(text.trim());
    if (!/^otpauth:\/\//i.test(text.trim())) {
      throw new HostError('E_QR_UNREADABLE',
        'the QR code holds something other than an otpauth:// URI or a Google Authenticator export');
    }
    return fromUri(text.trim());
  },
};

// `--secret BASE32 --name N [--issuer I] [--algorithm A] [--digits D] [--period P] [--hotp --counter C]`.

export interface SecretFlags {
  secret: string; name?: string; issuer?: string; algorithm?: string;
  digits?: string; period?: string; hotp?: boolean; counter?: string;
}

const int = (v: string | undefined, flag: string, dflt: number): number => {
  if (v === undefined) return dflt;
  if (!/^\d{1,10}$/.test(v.trim())) throw new HostError('E_USAGE', `${flag} takes a whole number, got '${v}'`);
  return Number(v);
};

export function fromFlags(f: SecretFlags): Found {
  if (!f.name) throw new HostError('E_USAGE', '--secret needs --name (the account the code is for)');
  if (f.counter !== undefined && !f.hotp) throw new HostError('E_USAGE', '--counter is for --hotp credentials');
  const secret = base32Decode(f.secret.trim());
  if (secret.length === 0) throw new HostError('E_INPUT', 'the secret is empty');
  const e: Enrollment = {
    account: f.name, secret, type: f.hotp ? 'hotp' : 'totp',
    algorithm: f.algorithm ? algorithmOf(f.algorithm) : 'SHA1',
    digits: int(f.digits, '--digits', 6), period: int(f.period, '--period', 30),
    counter: int(f.counter, '--counter', 0),
    ...(f.issuer ? { issuer: f.issuer } : {}),
  };
  return { enrollments: [e], warnings: [] };
}

// A PSKC file (RFC 6030): a vendor's seed file, one KeyPackage per device.

/** Without a CLI: a plain file only (an encrypted one is refused naming the flag it needs). */
const PSKC_DEFAULTS = (): PskcInput => ({
  key: async () => undefined, password: async () => undefined, now: Date.now(), flags: [], warn: () => {},
});

export const pskcSource: Source = {
  name: 'PSKC file',
  sniff: isPskc,
  async read(b, o = {}) {
    const r = await readPskc(b, o.pskc ?? PSKC_DEFAULTS());
    return { enrollments: r.enrollments, warnings: r.warnings, packages: r.origins };
  },
};

export const SOURCES: readonly Source[] = [qrPngSource, uriSource, migrationSource, pskcSource];

/** Enrollments from raw bytes (a file's, stdin's, or a URI's). */
export async function fromBytes(bytes: Uint8Array, what = 'the input', o: ReadOptions = {}): Promise<Found> {
  const s = SOURCES.find((x) => x.sniff(bytes));
  if (!s) {
    throw new HostError('E_SOURCE', `${what} is neither an otpauth:// URI, a Google Authenticator export, ` +
      'a PNG with a QR code, nor a PSKC file');
  }
  const flags = o.pskc?.flags ?? [];
  if (s !== pskcSource && flags.length) {
    throw new HostError('E_USAGE', `${flags.join(', ')} ${flags.length === 1 ? 'is' : 'are'} for PSKC files; ` +
      `${what} is ${/^[aeiou]/i.test(s.name) ? 'an' : 'a'} ${s.name}`);
  }
  return s.read(bytes, o);
}

/**
 * A SOURCE that names no file may be a secret pasted in the wrong place (`token enroll JBSW…`).
 * It is quoted only when it looks like a path and holds nothing that looks like a secret; else not
 * at all, not even in part: each character of a seed shown is one fewer to guess.
 */
export function shown(arg: string): string | null {
  const secretLike = /otpauth|secret=/i.test(arg) || /^[A-Za-z2-7\s=-]{8,}$/.test(arg) || /^[0-9a-f]{16,}$/i.test(arg);
  return /[./\\]/.test(arg) && !secretLike ? `'${arg}'` : null;
}

const HIDDEN = 'not shown here: if it is a secret, give it with --secret - or TOKEN_SECRET';

export async function fromArgument(arg: string, stdin: () => Promise<Uint8Array> = () => readStdin(),
  o: ReadOptions = {}): Promise<Found> {
  if (arg === '-') return fromBytes(await stdin(), 'stdin', o);
  if (/^otpauth(-migration)?:/i.test(arg)) {
    const found = await fromBytes(new Uint8Array(Buffer.from(arg, 'utf8')), 'the URI', o);
    // The words of `--secret X`'s warning: argv is readable by every local user and kept in shell history.
    found.warnings.push('a secret on the command line is visible to other users (ps, shell history); ' +
      'pipe the URI in with `token enroll -`');
    return found;
  }
  let bytes: Uint8Array;
  try { bytes = readCapped(arg); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') {
      const name = shown(arg);
      throw new HostError('E_SOURCE', `no such file ${name ?? `(the argument is ${HIDDEN})`}; ` +
        'SOURCE is an otpauth:// URI, a PNG or PSKC file, or - for stdin');
    }
    if (e instanceof HostError) throw e;
    throw new HostError('E_SOURCE',
      `cannot read ${shown(arg) ?? `the file (its name is ${HIDDEN})`}: ${code ?? 'error'}`);
  }
  return fromBytes(bytes, `'${arg}'`, o);
}
