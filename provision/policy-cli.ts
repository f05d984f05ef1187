// The files side of `provision policy check`: reads each policy (- is stdin) without reading more
// than the cap, checks it, prints the findings, and says which exit status they come to: 2 when a
// file could not be read (one line on stderr per file), else 1 when a finding is an error, else 0.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { checkPolicy, formatFinding, MAX_POLICY_BYTES, summary, tooLarge, type Finding } from './policy-check.js';

export interface Out { out(line: string): void; err(line: string): void }

type Read = { text: string } | { bytes: number } | { error: string };

function why(file: string, e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT': return `${file}: no such file: check the path (- reads the policy from standard input)`;
    case 'EACCES': case 'EPERM': return `${file}: permission denied: make it readable (chmod u+r) or run as its owner`;
    case 'EISDIR': return `${file}: is a directory: name the policy files in it, e.g. ${file}/*.json`;
    default: return `${file}: cannot read it (${e.code ?? e.message}): check that it is a readable file`;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(buf: Buffer, file: string): Read {
  try { return { text: utf8.decode(buf) }; } catch {
    return { error: `${file}: not UTF-8 text: save the policy as UTF-8 JSON` };
  }
}

function readFile(file: string): Read {
  let fd: number;
  try { fd = openSync(file, 'r'); } catch (e) { return { error: why(file, e as NodeJS.ErrnoException) }; }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return { error: why(file, { code: 'EISDIR' } as NodeJS.ErrnoException) };
    if (st.isFile() && st.size > MAX_POLICY_BYTES) return { bytes: st.size };
    // A FIFO or a file still growing: read at most one byte past the cap.
    const buf = Buffer.alloc(MAX_POLICY_BYTES + 1);
    let n = 0, r: number;
    while (n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0) n += r;
    return n > MAX_POLICY_BYTES ? { bytes: st.isFile() ? Math.max(st.size, n) : n } : decode(buf.subarray(0, n), file);
  } catch (e) { return { error: why(file, e as NodeJS.ErrnoException) }; } finally { closeSync(fd); }
}

async function readStdin(): Promise<Read> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of process.stdin) {
    parts.push(chunk as Buffer);
    n += (chunk as Buffer).length;
    if (n > MAX_POLICY_BYTES) { process.stdin.destroy(); return { bytes: n }; }
  }
  return decode(Buffer.concat(parts), '-');
}

export async function policyCheck(files: string[], o: { json?: boolean }, io: Out): Promise<0 | 1 | 2> {
  const all: Finding[] = [];
  let unreadable = 0, checked = 0;
  for (const file of files) {
    const r = file === '-' ? await readStdin() : readFile(file);
    if ('error' in r) { io.err(`provision: policy check: ${r.error}`); unreadable++; continue; }
    checked++;
    const found = 'bytes' in r ? [tooLarge(file, r.bytes)] : checkPolicy(r.text, file);
    all.push(...found);
    if (!o.json) for (const f of found) io.out(formatFinding(f));
  }
  if (o.json) io.out(JSON.stringify(all));
  else if (checked) io.out(summary(all, checked));
  return unreadable ? 2 : all.some((f) => f.severity === 'error') ? 1 : 0;
}
