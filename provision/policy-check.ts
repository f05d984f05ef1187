// `provision policy check`: lints an IAM policy for the MFA traps. Pure: text in, findings out;
// every input, however broken, ends in findings, never in an exception.
//
//   checkPolicy(readFileSync('force-mfa.json', 'utf8'), 'force-mfa.json')
//   → [{ statement: 'BlockMostAccessUnlessSignedInWithMFA', code: 'mfa-bool-deny', severity: 'error', … }]
import { mfaChecks } from './policy-mfa.js';
import { readDoc, type Finding, type Severity } from './policy-shape.js';

export type { Finding, Severity };

/** Files past this are refused before parsing: IAM's largest policy is 10,240 characters. */
export const MAX_POLICY_BYTES = 128 * 1024;

export function tooLarge(file: string, bytes: number): Finding {
  return { file, statement: '(policy)', code: 'too-large', severity: 'error',
    message: `${bytes} bytes, over the ${MAX_POLICY_BYTES / 1024} KiB this checker reads (IAM's largest policy is ` +
      '10,240 characters): not checked', fix: 'check the policy itself, not a file that merely contains it', line: null };
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
  return clean(`${f.file}${f.line === null ? '' : `:${f.line}`}: ${f.severity} ${f.code} ${f.statement}: ${f.message}; ` +
    `fix: ${f.fix}`);
}

export function summary(findings: Finding[], files: number): string {
  const n = (sev: Severity, word: string) => {
    const k = findings.filter((f) => f.severity === sev).length;
    return `${k} ${word}${k === 1 || sev === 'info' ? '' : 's'}`;
  };
  return `${files} file${files === 1 ? '' : 's'} checked: ${n('error', 'error')}, ${n('warning', 'warning')}, ` +
    n('info', 'info');
}
