// `provision policy check`: lints IAM policies for the MFA traps. checkPolicy is pure: text in,
// findings out; every input, however broken, ends in findings, never in an exception.
//
//   checkPolicy(readFileSync('force-mfa.json', 'utf8'), 'force-mfa.json')
//   → [{ statement: 'BlockMostAccessUnlessSignedInWithMFA', code: 'mfa-bool-deny', severity: 'error', … }]
//
// policyCheck is the files side: it reads each policy (- is stdin) without reading more than the cap,
// checks it, prints the findings, and says which exit status they come to: 2 when a file could not be
// read (one line on stderr per file), else 1 when a finding is an error, else 0.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { mfaChecks } from './mfa-traps.js';
import { readDoc, type Finding, type Severity } from './shape.js';

export type { Finding, Severity };

/** Files past this are refused before parsing: IAM's largest policy is 10,240 characters. */
export const MAX_POLICY_BYTES = 128 * 1024;

export function tooLarge(file: string, bytes: number): Finding {
  return { file, statement: '(policy)', code: 'too-large', severity: 'error',
    message: `${bytes} bytes, over the ${MAX_POLICY_BYTES / 1024} KiB this checker reads (IAM's largest policy is ` +
      '10,240 characters): not checked',
    fix: 'check the policy itself, not a file that merely contains it', line: null };
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function checkPolicy(text: string, file: string): Finding[] {
  if (text.length > MAX_POLICY_BYTES) return [tooLarge(file, Buffer.byteLength(text))];
  const out: Finding[] = [];
  const doc = readDoc(text, file, out);
  if (doc) mfaChecks(doc, file, doc.line, out);
  // Document order; findings on one line by severity. The sort is stable.
  return out.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || RANK[a.severity] - RANK[b.severity]);
}

// Terminal controls in a finding (a key can hold any character) would reach the reader's terminal.
const clean = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
  `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** One line: `FILE:LINE: SEVERITY CODE STATEMENT: message; fix: …`. */
export function formatFinding(f: Finding): string {
  return clean(`${f.file}${f.line === null ? '' : `:${f.line}`}: ${f.severity} ${f.code} ${f.statement}: ` +
    `${f.message}; fix: ${f.fix}`);
}

export function summary(findings: Finding[], files: number): string {
  const n = (sev: Severity, word: string) => {
    const k = findings.filter((f) => f.severity === sev).length;
    return `${k} ${word}${k === 1 || sev === 'info' ? '' : 's'}`;
  };
  return `${files} file${files === 1 ? '' : 's'} checked: ${n('error', 'error')}, ${n('warning', 'warning')}, ` +
    n('info', 'info');
}

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
