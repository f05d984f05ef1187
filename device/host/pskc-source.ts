// PSKC seed files (RFC 6030) as a `token enroll` source: the file sniffed, the pre-shared key or
// password it needs found (flag, `-` for stdin, environment, or a no-echo prompt on a terminal), and
// each KeyPackage checked against what the device can hold, with errors naming the KeyPackage.
import { checkEnrollment, type Enrollment } from './enrollment.js';
import { HostError } from './errors.js';
import { needsSecret, parsePskc, PSKC_LIMITS, type PskcKey } from './pskc.js';
import { shown } from './pskc-values.js';
import { askSecret, interactive } from './terminal.js';

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

/** `KeyPackage 3 (Id '…', serial '…')`, the words PskcError uses. */
export function packageName(k: Pick<PskcKey, 'packageIndex' | 'id' | 'serial'>): string {
  const names = [`Id ${shown(k.id)}`, ...(k.serial !== undefined ? [`serial ${shown(k.serial)}`] : [])];
  return `KeyPackage ${k.packageIndex} (${names.join(', ')})`;
}

/** A file's secrets: the flag's, else a no-echo prompt on a terminal, else a usage error naming the flag. */
async function secrets(xml: Uint8Array, p: PskcInput): Promise<{ key?: Uint8Array; password?: string }> {
  const need = needsSecret(xml);
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
  const s = await secrets(bytes, p);
  const { keys } = parsePskc(bytes, { ...s, now: p.now, ...(p.serial !== undefined ? { serial: p.serial } : {}) });
  const warnings: string[] = [];
  for (const k of keys) {
    try { checkEnrollment(k.enrollment); } catch (e) {
      if (!(e instanceof HostError)) throw e;
      throw new HostError(e.code, `${packageName(k)}: ` +
        e.message.replace(/^the token cannot hold this credential: /, 'the token cannot hold it: '), e.sw);
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
