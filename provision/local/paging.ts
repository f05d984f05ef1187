// IAM list paging: MaxItems (default 100) and an opaque Marker. The marker names the last key
// returned, so deletions between pages neither skip nor repeat an item.
import { AwsError } from './errors.js';
import { el } from './xml.js';

const TAG = 'lm1:';

export interface Page<T> { items: T[]; truncated: boolean; marker?: string }

/**
 * One page of `all`, sorted by key; or, with `sort` false, in the order given (a short list kept in
 * the order it was written, such as a resource's tags), where a marker whose item is gone is invalid.
 */
export function page<T>(all: T[], key: (t: T) => string, marker: string | undefined, maxItems = 100, sort = true): Page<T> {
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
  return truncated ? { items, truncated, marker: Buffer.from(TAG + key(items[items.length - 1]!)).toString('base64url') } : { items, truncated };
}

/** IsTruncated always; Marker only when truncated (the JS paginator loops while a Marker is present). */
export const pageTail = (p: Page<unknown>) => el('IsTruncated', p.truncated) + (p.truncated ? el('Marker', p.marker) : '');
