// What a policy checks against the request's context: Condition blocks (IAM's operators, with
// ForAnyValue:/ForAllValues: and IfExists, and AWS's rules for a missing key) and the policy variables
// (`${aws:username}`) that condition values and Resource patterns may hold. A variable's value is
// spliced in as literal text, never as a wildcard.
import { arnMatch, literal, wild, wmatch } from './pattern.js';

/** Request context keys, lower-cased; a multi-valued key holds a list. Absent keys are simply missing. */
export type Context = Map<string, string | string[]>;

export const asList = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => String(x));

// ---- Policy variables

/** A pattern or value with policy variables: literal pieces and `${key, 'default'}` holes. */
type Piece = string | { key: string; name: string; def?: string };
export interface Template { pieces: Piece[] | null; text: string }

const VAR = /^\s*([^,}\s]+)\s*(?:,\s*'([^']*)'\s*)?$/;

/**
 * Splits `${…}` out of a string when the document allows variables. `${*}`, `${?}` and `${$}` are
 * the literal characters; wildcards elsewhere become STAR/ONE when `wildcards` is set.
 */
export function template(src: string, vars: boolean, wildcards: boolean): Template {
  const conv = (t: string) => (wildcards ? wild(t) : t);
  if (!vars || !src.includes('${')) return { pieces: null, text: conv(src) };
  const pieces: Piece[] = [];
  let at = 0, lit = '';
  while (at < src.length) {
    const open = src.indexOf('${', at);
    const close = open < 0 ? -1 : src.indexOf('}', open + 2);
    if (open < 0 || close < 0) { lit += conv(src.slice(at)); break; }
    lit += conv(src.slice(at, open));
    const inner = src.slice(open + 2, close);
    if (inner === '*' || inner === '?' || inner === '$') lit += inner;
    else {
      const m = VAR.exec(inner);
      if (!m) lit += conv(src.slice(open, close + 1));
      else {
        if (lit) pieces.push(lit);
        lit = '';
        const key = m[1]!.toLowerCase(), name = m[1]!;
        pieces.push(m[2] !== undefined ? { key, name, def: m[2] } : { key, name });
      }
    }
    at = close + 1;
  }
  if (lit) pieces.push(lit);
  return pieces.some((p) => typeof p !== 'string') ? { pieces, text: '' } : { pieces: null, text: pieces.join('') };
}

/** The template with the request's values in, or null when a variable has no value (AWS: it matches nothing). */
export function fill(t: Template, ctx: Context, missing?: Set<string>): string | null {
  if (!t.pieces) return t.text;
  let out = '';
  for (const p of t.pieces) {
    if (typeof p === 'string') { out += p; continue; }
    const v = ctx.get(p.key);
    const one = typeof v === 'string' ? v : Array.isArray(v) && v.length === 1 ? v[0]! : undefined;
    if (one === undefined && p.def === undefined) { missing?.add(p.name); return null; }
    out += literal(one ?? p.def!);
  }
  return out;
}

// ---- Conditions

type Kind = 'string' | 'stringci' | 'like' | 'arn' | 'num' | 'date' | 'bool' | 'null' | 'unknown';
const OPS = new Map<string, { kind: Kind; negated: boolean; cmp?: (a: number, b: number) => boolean }>();
for (const [name, kind, negated] of [
  ['stringequals', 'string', false], ['stringnotequals', 'string', true],
  ['stringequalsignorecase', 'stringci', false], ['stringnotequalsignorecase', 'stringci', true],
  ['stringlike', 'like', false], ['stringnotlike', 'like', true],
  ['arnequals', 'arn', false], ['arnlike', 'arn', false], ['arnnotequals', 'arn', true], ['arnnotlike', 'arn', true],
  ['bool', 'bool', false], ['null', 'null', false],
] as const) OPS.set(name, { kind, negated });
for (const [kind, prefix] of [['num', 'numeric'], ['date', 'date']] as const) {
  for (const [suffix, cmp] of [
    // A negated operator compares as its positive twin; condHolds negates the outcome once.
    ['equals', (a: number, b: number) => a === b], ['notequals', (a: number, b: number) => a === b],
    ['lessthan', (a: number, b: number) => a < b], ['lessthanequals', (a: number, b: number) => a <= b],
    ['greaterthan', (a: number, b: number) => a > b], ['greaterthanequals', (a: number, b: number) => a >= b],
  ] as const) OPS.set(prefix + suffix, { kind, negated: suffix === 'notequals', cmp });
}

export interface Cond {
  /** Lower case for lookups; `name` as the policy spells it, for MissingContextValues. */
  key: string; name: string; kind: Kind; negated: boolean; ifExists: boolean; set: 'any' | 'all' | null;
  cmp?: (a: number, b: number) => boolean; values: Template[];
}

export function compileCond(op: string, key: string, raw: unknown, vars: boolean): Cond {
  let o = op.toLowerCase();
  let set: Cond['set'] = null;
  if (o.startsWith('foranyvalue:')) { set = 'any'; o = o.slice(12); }
  else if (o.startsWith('forallvalues:')) { set = 'all'; o = o.slice(13); }
  const ifExists = o !== 'null' && o.endsWith('ifexists');
  if (ifExists) o = o.slice(0, -8);
  const def = OPS.get(o) ?? { kind: 'unknown' as const, negated: false };
  // Variables work in String, ARN and Bool conditions; elsewhere `${` is literal text.
  const v = vars && (def.kind === 'string' || def.kind === 'stringci' || def.kind === 'like' || def.kind === 'arn' ||
    def.kind === 'bool');
  const values = asList(raw).map((x) => template(x, v, def.kind === 'like' || def.kind === 'arn'));
  return {
    key: key.toLowerCase(), name: key, kind: def.kind, negated: def.negated, ifExists, set, cmp: def.cmp, values,
  };
}

function num(v: string): number {
  return /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v) ? Number(v) : NaN;
}
/** ISO 8601 or epoch seconds; NaN otherwise. */
function date(v: string): number {
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  return /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : NaN;
}

/** Whether one request value matches one policy value (already filled in). */
function valueMatches(c: Cond, have: string, want: string): boolean {
  switch (c.kind) {
    case 'string': return have === want;
    case 'stringci': return have.toLowerCase() === want.toLowerCase();
    case 'like': return wmatch(want, have);
    case 'arn': return arnMatch(want, have);
    case 'bool': return have.toLowerCase() === want.toLowerCase();
    case 'num': { const a = num(have), b = num(want); return !Number.isNaN(a) && !Number.isNaN(b) && c.cmp!(a, b); }
    case 'date': { const a = date(have), b = date(want); return !Number.isNaN(a) && !Number.isNaN(b) && c.cmp!(a, b); }
    default: return false;
  }
}

/** One key's condition. Values: OR for a positive operator, AND of the negations for a negated one. */
export function condHolds(c: Cond, ctx: Context, missing: Set<string>): boolean {
  const raw = ctx.get(c.key);
  const have = raw === undefined ? undefined : Array.isArray(raw) ? raw : [raw];
  if (c.kind === 'null') {
    const absent = have === undefined || have.length === 0;
    return c.values.some((w) => (w.text.toLowerCase() === 'true') === absent);
  }
  if (have === undefined || (c.set && have.length === 0)) {
    missing.add(c.name);
    // AWS: absent key → false, except IfExists and negated operators (true); ForAllValues holds on no values.
    return c.ifExists || c.set === 'all' || (c.set === null && c.negated);
  }
  const wants = c.values.map((t) => fill(t, ctx)).filter((w): w is string => w !== null);
  const one = (h: string) => {
    const hit = wants.some((w) => valueMatches(c, h, w));
    return c.negated ? !hit : hit;
  };
  return c.set === 'all' ? have.every(one) : have.some(one);
}
