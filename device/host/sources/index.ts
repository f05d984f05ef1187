// Picks the enrollment source for a SOURCE argument: `-` (stdin), an otpauth:// URI, or a file
// whose bytes say what it is. Formats are sniffed from content, never from the file name.
import { HostError } from '../errors.js';
import { readCapped, readStdin } from '../input.js';
import { qrPngSource } from './qr-png.js';
import type { Found, Source } from './source.js';
import { uriSource } from './uri.js';

export type { Found, Source } from './source.js';
export { fromFlags, type SecretFlags } from './secret-flags.js';
export { readStdin } from '../input.js';

export const SOURCES: readonly Source[] = [qrPngSource, uriSource];

/** Enrollments from raw bytes (a file's, stdin's, or a URI's). */
export async function fromBytes(bytes: Uint8Array, what = 'the input'): Promise<Found> {
  const s = SOURCES.find((x) => x.sniff(bytes));
  if (!s) throw new HostError('E_SOURCE', `${what} is neither an otpauth:// URI nor a PNG with a QR code`);
  return s.read(bytes);
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

export async function fromArgument(arg: string, stdin: () => Promise<Uint8Array> = () => readStdin()): Promise<Found> {
  if (arg === '-') return fromBytes(await stdin(), 'stdin');
  if (/^otpauth(-migration)?:/i.test(arg)) {
    const found = await fromBytes(new Uint8Array(Buffer.from(arg, 'utf8')), 'the URI');
    // The words of `--secret X`'s warning: argv is readable by every local user and kept in shell history.
    found.warnings.push('a secret on the command line is visible to other users (ps, shell history); pipe the URI in with `token enroll -`');
    return found;
  }
  let bytes: Uint8Array;
  try { bytes = readCapped(arg); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') {
      const name = shown(arg);
      throw new HostError('E_SOURCE', `no such file ${name ?? `(the argument is ${HIDDEN})`}; SOURCE is an otpauth:// URI, a PNG file, or - for stdin`);
    }
    if (e instanceof HostError) throw e;
    throw new HostError('E_SOURCE', `cannot read ${shown(arg) ?? `the file (its name is ${HIDDEN})`}: ${code ?? 'error'}`);
  }
  return fromBytes(bytes, `'${arg}'`);
}
