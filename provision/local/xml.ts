// The Query protocol's XML: `<{Op}Response xmlns=NS><{Op}Result>…</{Op}Result><ResponseMetadata>…`,
// lists as `<member>`, errors as `<ErrorResponse><Error><Type>…</Type><Code>…` with the RequestId outside <Error>.
import { AwsError } from './errors.js';

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

/** Timestamps as RFC 3339 without fractions: the JS SDK takes nothing looser. */
export const iso = (unixSeconds: number) =>
  new Date(Math.floor(unixSeconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

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

// IAM list paging: MaxItems (default 100) and an opaque Marker. The marker names the last key
// returned, so deletions between pages neither skip nor repeat an item.
const TAG = 'lm1:';

export interface Page<T> { items: T[]; truncated: boolean; marker?: string }

/**
 * One page of `all`, sorted by key; or, with `sort` false, in the order given (a short list kept in
 * the order it was written, such as a resource's tags), where a marker whose item is gone is invalid.
 */
export function page<T>(all: T[], key: (t: T) => string, marker: string | undefined, maxItems = 100,
  sort = true): Page<T> {
  const sorted = sort ? [...all].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)) : all;
  let from = 0;
  if (marker !== undefined) {
    const raw = /^[A-Za-z0-9_-]+$/.test(marker) ? Buffer.from(marker, 'base64url').toString('utf8') : '';
    // The text of LocalStack's AWS-recorded snapshot for a marker AWS did not issue.
    const invalid = () => new AwsError('ValidationError', 'Invalid Marker.');
    if (!raw.startsWith(TAG)) throw invalid();
    const after = raw.slice(TAG.length);
    from = sort ? sorted.findIndex((t) => key(t) > after) : sorted.findIndex((t) => key(t) === after) + 1;
    if (!sort && from === 0) throw invalid();
    if (from < 0) from = sorted.length;
  }
  const items = sorted.slice(from, from + maxItems);
  const truncated = from + maxItems < sorted.length;
  return truncated ? { items, truncated, marker: Buffer.from(TAG + key(items[items.length - 1]!)).toString(
    'base64url') } : { items, truncated };
}

/** IsTruncated always; Marker only when truncated (the JS paginator loops while a Marker is present). */
export const pageTail = (p: Page<unknown>) => el('IsTruncated', p.truncated) +
  (p.truncated ? el('Marker', p.marker) : '');
