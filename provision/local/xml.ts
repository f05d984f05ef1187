// The Query protocol's XML: `<{Op}Response xmlns=NS><{Op}Result>…</{Op}Result><ResponseMetadata>…`,
// lists as `<member>`, errors as `<ErrorResponse>` (../shared/reference/iam-sts-wire.md §2–3).
import type { AwsError } from './errors.js';

export const NS = {
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
} as const;
export type Service = keyof typeof NS;

// Text content only (no attribute carries data), so quotes stay as AWS leaves them.
const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
export const esc = (s: string) => s.replace(/[&<>]/g, (c) => ESC[c]!);

/** A leaf element; absent values produce nothing. */
export function el(name: string, v: string | number | boolean | undefined | null): string {
  if (v === undefined || v === null) return '';
  return `<${name}>${esc(String(v))}</${name}>`;
}

/** `<Name><member>…</member>…</Name>`; an empty list is `<Name/>`, which both clients read as []. */
export function list(name: string, items: string[]): string {
  return items.length ? `<${name}>${items.map((i) => `<member>${i}</member>`).join('')}</${name}>` : `<${name}/>`;
}

/** Timestamps as RFC 3339 without fractions: the JS SDK takes nothing looser (wire reference §2). */
export const iso = (unixSeconds: number) => new Date(Math.floor(unixSeconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Actions without output still need a root element: botocore refuses an empty 200 body. */
export function okXml(service: Service, action: string, result: string | null, requestId: string): string {
  const body = result === null ? '' : `<${action}Result>${result}</${action}Result>`;
  return `<${action}Response xmlns="${NS[service]}">${body}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>\n`;
}

export function errorXml(service: Service, e: AwsError, requestId: string): string {
  return `<ErrorResponse xmlns="${NS[service]}"><Error><Type>${e.type}</Type>${el('Code', e.code)}` +
    `${el('Message', e.message)}</Error><RequestId>${requestId}</RequestId></ErrorResponse>\n`;
}
