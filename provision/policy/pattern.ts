// IAM's wildcards, `*` (any run, none included) and `?` (one character), matched without regular
// expressions in at most |pattern| × |subject| steps, so no policy or request can stall the server.
// The engine compiles patterns to private-use characters (below) so that a variable's value stays literal.

// Wildcards in a compiled pattern are these two private-use characters, which the policy grammar
// (\u0009-\u00FF) cannot contain, so a `${*}` escape or a variable's value stays literal.
export const STAR = '\uE000', ONE = '\uE001';
const STAR_C = 0xe000, ONE_C = 0xe001;
const SURROGATE = /[\uD800-\uDFFF]/;

/** Counts glob steps when a test hands one in (the linear-time check). */
export interface Steps { n: number }

/**
 * Matches a compiled pattern (STAR: any run, none included; ONE: exactly one character).
 * Two pointers with one resume point after the last STAR: a later STAR supersedes an earlier one,
 * so the scan never goes back further than that point and costs at most |pattern| × |subject|.
 */
export function wmatch(p: string, s: string, steps?: Steps): boolean {
  if (SURROGATE.test(p) || SURROGATE.test(s)) return wmatchPoints([...p], [...s], steps);
  let i = 0, j = 0, star = -1, resume = 0, n = 0;
  const pl = p.length, sl = s.length;
  while (j < sl) {
    n++;
    const c = i < pl ? p.charCodeAt(i) : -1;
    if (c === STAR_C) { star = i++; resume = j; }
    else if (c !== -1 && (c === ONE_C || c === s.charCodeAt(j))) { i++; j++; }
    else if (star >= 0) { i = star + 1; j = ++resume; }
    else { if (steps) steps.n += n; return false; }
  }
  if (steps) steps.n += n;
  while (i < pl && p.charCodeAt(i) === STAR_C) i++;
  return i === pl;
}

/** The same over code points, so ONE matches one character even outside the BMP. */
function wmatchPoints(p: string[], s: string[], steps?: Steps): boolean {
  let i = 0, j = 0, star = -1, resume = 0;
  while (j < s.length) {
    if (steps) steps.n++;
    const c = p[i];
    if (c === STAR) { star = i++; resume = j; }
    else if (c !== undefined && (c === ONE || c === s[j])) { i++; j++; }
    else if (star >= 0) { i = star + 1; j = ++resume; }
    else return false;
  }
  while (p[i] === STAR) i++;
  return i === p.length;
}

export const wild = (pattern: string) => pattern.replace(/[*?]/g, (c) => (c === '*' ? STAR : ONE));
/** A value spliced into a pattern: literal, never a wildcard. */
export const literal = (v: string) => v.replace(/[\uE000\uE001]/g, '\uFFFD');

/** `*` matches any run of characters (none included), `?` exactly one; everything else is literal. */
export function glob(pattern: string, subject: string, ignoreCase = false, steps?: Steps): boolean {
  return ignoreCase ? wmatch(wild(pattern.toLowerCase()), subject.toLowerCase(), steps)
    : wmatch(wild(pattern), subject, steps);
}

/**
 * ARN matching: the first five colon-separated fields each on their own, the resource (the rest,
 * colons and all) as one. A field pattern ending in `*` may reach past its colons, as AWS
 * documents, so the rest of the pattern is then matched against the rest of the ARN.
 */
export function arnMatch(p: string, s: string, steps?: Steps): boolean {
  if (p === STAR) return true;
  let pi = 0, si = 0;
  for (let field = 0; field < 5; field++) {
    const pe = p.indexOf(':', pi), se = s.indexOf(':', si);
    if (pe < 0 || se < 0) return wmatch(p.slice(pi), s.slice(si), steps);
    const pf = p.slice(pi, pe);
    if (pf.endsWith(STAR)) return wmatch(p.slice(pi), s.slice(si), steps);
    if (!wmatch(pf, s.slice(si, se), steps)) return false;
    pi = pe + 1; si = se + 1;
  }
  return wmatch(p.slice(pi), s.slice(si), steps);
}
