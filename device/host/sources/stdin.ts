// `-` as a SOURCE or as --secret: bytes from stdin, capped (a PNG over the pixel cap is refused later).
import { HostError } from '../errors.js';

export const MAX_INPUT = 32 * 1024 * 1024;

export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<Uint8Array> {
  if ((stream as { isTTY?: boolean }).isTTY) {
    throw new HostError('E_USAGE', "'-' reads stdin, but stdin is a terminal: pipe the input in (e.g. `token enroll - < code.png`)");
  }
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    n += b.length;
    if (n > MAX_INPUT) throw new HostError('E_INPUT', `stdin is over ${MAX_INPUT >> 20} MB`);
    parts.push(b);
  }
  return new Uint8Array(Buffer.concat(parts));
}
