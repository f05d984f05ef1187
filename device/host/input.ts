// Bounded reads of whatever a user names as input: a file, a FIFO, a character device, stdin.
// `stat` says 0 bytes for /dev/zero and a pipe, so the size is never trusted: bytes are read up to
// the limit and one byte more, and that byte ends the read with one clear error.
import { closeSync, openSync, readSync } from 'node:fs';
import { HostError } from './errors.js';

export const MAX_INPUT = 32 * 1024 * 1024;

const over = (what: string, limit: number) =>
  new HostError('E_INPUT', `${what} is over the ${limit >= 1 << 20 ? `${limit / (1 << 20)} MB` : `${limit} byte`} ` +
    'input limit (stopped reading there)');

/**
 * A file's bytes, at most `limit` of them, else E_INPUT naming `what`. Errors of open and read
 * (ENOENT, EISDIR, EACCES) are thrown as Node's, for the caller to word.
 * @example const list = readCapped('devices.txt', 1 << 20, '--from devices.txt');
 */
export function readCapped(path: string, limit = MAX_INPUT, what = `'${path}'`): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const parts: Buffer[] = [];
    let n = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(1 << 20, limit + 1 - n));
      const got = readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      parts.push(buf.subarray(0, got));
      n += got;
      if (n > limit) throw over(what, limit);
    }
    return new Uint8Array(Buffer.concat(parts, n));
  } finally { closeSync(fd); }
}

/** `-` as a SOURCE or as --secret: stdin, read the same way. */
export async function readStdin(stream: NodeJS.ReadableStream = process.stdin, limit = MAX_INPUT): Promise<Uint8Array> {
  if ((stream as { isTTY?: boolean }).isTTY) {
    throw new HostError('E_USAGE',
      "'-' reads stdin, but stdin is a terminal: pipe the input in (e.g. `token enroll - < code.png`)");
  }
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    n += b.length;
    if (n > limit) throw over('stdin', limit);
    parts.push(b);
  }
  return new Uint8Array(Buffer.concat(parts));
}
