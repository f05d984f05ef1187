// Picks the enrollment source for a SOURCE argument: `-` (stdin), an otpauth:// URI, or a file
// whose bytes say what it is. Formats are sniffed from content, never from the file name.
import { readFileSync, statSync } from 'node:fs';
import { HostError } from '../errors.js';
import { qrPngSource } from './qr-png.js';
import type { Found, Source } from './source.js';
import { MAX_INPUT, readStdin } from './stdin.js';
import { uriSource } from './uri.js';

export type { Found, Source } from './source.js';
export { fromFlags, type SecretFlags } from './secret-flags.js';
export { readStdin } from './stdin.js';

export const SOURCES: readonly Source[] = [qrPngSource, uriSource];

/** Enrollments from raw bytes (a file's, stdin's, or a URI's). */
export async function fromBytes(bytes: Uint8Array, what = 'the input'): Promise<Found> {
  const s = SOURCES.find((x) => x.sniff(bytes));
  if (!s) throw new HostError('E_SOURCE', `${what} is neither an otpauth:// URI nor a PNG with a QR code`);
  return s.read(bytes);
}

/**
 * A SOURCE that names no file may be a secret pasted in the wrong place (`token enroll JBSW…`):
 * it is echoed only when it looks like a path, else as its first 4 characters and a hint.
 */
export function shown(arg: string): string {
  const pathLike = /[./\\]/.test(arg) && !/^[A-Za-z2-7]+=*$/.test(arg);
  return pathLike ? `'${arg}'` : `'${arg.slice(0, 4)}…' (if that is a secret, give it with --secret - or TOKEN_SECRET, not as SOURCE)`;
}

export async function fromArgument(arg: string, stdin: () => Promise<Uint8Array> = () => readStdin()): Promise<Found> {
  if (arg === '-') return fromBytes(await stdin(), 'stdin');
  if (/^otpauth(-migration)?:/i.test(arg)) return fromBytes(new Uint8Array(Buffer.from(arg, 'utf8')), 'the URI');
  let size: number;
  try { size = statSync(arg).size; } catch {
    throw new HostError('E_SOURCE', `no such file ${shown(arg)} (SOURCE is an otpauth:// URI, a PNG file, or - for stdin)`);
  }
  if (size > MAX_INPUT) throw new HostError('E_INPUT', `'${arg}' is over ${MAX_INPUT >> 20} MB`);
  let bytes: Uint8Array;
  try { bytes = new Uint8Array(readFileSync(arg)); } catch (e) {
    throw new HostError('E_SOURCE', `cannot read '${arg}': ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return fromBytes(bytes, `'${arg}'`);
}
