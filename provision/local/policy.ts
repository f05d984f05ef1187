// The policy engine: identity policies (and, through `allows`, trust policies) evaluated as IAM
// does. An explicit Deny wins; otherwise some Allow must match Action, Resource (and Principal,
// for a trust policy) and every Condition; otherwise the answer is an implicit deny.
//
// Fail closed wherever AWS would have refused the document at Put time and a hand-edited state
// file could still hold it: an operator this engine does not know makes an Allow not apply and a
// Deny apply, and a statement with neither Resource nor NotResource likewise (no Allow, a Deny on
// everything). Either way an odd document can only take access away.
//
// The work is bounded: documents are compiled once (a bounded cache keyed by the text) and globs
// match without regular expressions in at most |pattern| × |subject| steps, linear in either, so
// no document or request can stall the server.
import { parsePolicy } from './policy-grammar.js';
import type { PolicySource } from './state.js';
import { arnMatch, literal, wild, wmatch } from './wildcard.js';

export { glob, type Steps } from './wildcard.js';

/** Request context keys, lower-cased; a multi-valued key holds a list. Absent keys are simply missing. */
export type Context = Map<string, string | string[]>;

interface Statement {
  Sid?: unknown; Effect?: unknown; Principal?: unknown; NotPrincipal?: unknown;
  Action?: unknown; NotAction?: unknown; Resource?: unknown; NotResource?: unknown; Condition?: unknown;
}

const asList = (v: unknown): string[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map((x) => String(x));

// ---- Compiling

/** A pattern or value with policy variables: literal pieces and `${key, 'default'}` holes. */
type Piece = string | { key: string; name: string; def?: string };
interface Template { pieces: Piece[] | null; text: string }

const VAR = /^\s*([^,}\s]+)\s*(?:,\s*'([^']*)'\s*)?$/;

/**
 * Splits `${…}` out of a string when the document allows variables. `${*}`, `${?}` and `${$}` are
 * the literal characters; wildcards elsewhere become STAR/ONE when `wildcards` is set.
 */
function template(src: string, vars: boolean, wildcards: boolean): Template {
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
function fill(t: Template, ctx: Context, missing?: Set<string>): string | null {
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

interface Cond {
  /** Lower case for lookups; `name` as the policy spells it, for MissingContextValues. */
  key: string; name: string; kind: Kind; negated: boolean; ifExists: boolean; set: 'any' | 'all' | null;
  cmp?: (a: number, b: number) => boolean; values: Template[];
}

interface Compiled {
  index: number; sid?: string; effect: 'Allow' | 'Deny' | null;
  actions: string[] | null; notAction: boolean;
  resources: Template[] | null; notResource: boolean;
  principal: unknown; notPrincipal: boolean; hasPrincipal: boolean;
  conds: Cond[];
  /** The Condition block was not an object of objects: an unknown operator, in effect. */
  badCond: boolean;
}

function compileCond(op: string, key: string, raw: unknown, vars: boolean): Cond {
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

function compileStatement(s: Statement, index: number, vars: boolean): Compiled {
  const obj = !!s && typeof s === 'object' && !Array.isArray(s);
  const st = (obj ? s : {}) as Statement;
  const effect = st.Effect === 'Allow' || st.Effect === 'Deny' ? st.Effect : null;
  const notAction = st.NotAction !== undefined;
  const notResource = st.NotResource !== undefined;
  const resRaw = notResource ? st.NotResource : st.Resource;
  const conds: Cond[] = [];
  let badCond = false;
  const c = st.Condition;
  if (c !== undefined) {
    if (!c || typeof c !== 'object' || Array.isArray(c)) badCond = true;
    else for (const [op, block] of Object.entries(c as Record<string, unknown>)) {
      if (!block || typeof block !== 'object' || Array.isArray(block)) { badCond = true; continue; }
      for (const [key, v] of Object.entries(block as Record<string, unknown>)) {
        conds.push(compileCond(op, key, v, vars));
      }
    }
  }
  return {
    index, ...(typeof st.Sid === 'string' ? { sid: st.Sid } : {}), effect,
    actions: st.Action === undefined && st.NotAction === undefined ? null :
      asList(notAction ? st.NotAction : st.Action).map((a) => wild(a.toLowerCase())),
    notAction,
    resources: resRaw === undefined ? null : asList(resRaw).map((r) => template(r, vars, true)),
    notResource,
    principal: st.NotPrincipal !== undefined ? st.NotPrincipal : st.Principal,
    notPrincipal: st.NotPrincipal !== undefined,
    hasPrincipal: st.Principal !== undefined || st.NotPrincipal !== undefined,
    conds, badCond,
  };
}

interface Doc { statements: Compiled[] | null }

/** Documents compiled so far, by text; the oldest goes when it is full. */
const CACHE_MAX = 512;
const cache = new Map<string, Doc>();

function compile(text: string): Doc {
  const hit = cache.get(text);
  if (hit) return hit;
  let doc: Doc;
  try {
    const p = JSON.parse(text) as { Version?: unknown; Statement?: unknown };
    const st = p?.Statement;
    const list = Array.isArray(st) ? st : st && typeof st === 'object' ? [st] : null;
    // Variables only under the 2012-10-17 language; under 2008-10-17 (or none) `${…}` is literal.
    const vars = p?.Version === '2012-10-17';
    doc = { statements: list ? (list as Statement[]).map((s, i) => compileStatement(s, i, vars)) : null };
  } catch { doc = { statements: null }; }
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(text, doc);
  return doc;
}

// ---- Evaluating

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
function condHolds(c: Cond, ctx: Context, missing: Set<string>): boolean {
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

export interface Matched { source: PolicySource; index: number; sid?: string }
export type Decision = 'allowed' | 'explicitDeny' | 'implicitDeny';
export interface Evaluation {
  decision: Decision;
  /** The Deny statements that decided an explicit deny, or the Allow statements that allowed. */
  matched: Matched[];
  /** Context keys a matching statement's conditions or variables asked for and the request lacked. */
  missing: string[];
}
export interface AuthRequest {
  action: string;
  /** The resource ARN; absent for a trust policy, which has no Resource element. */
  resource?: string;
  ctx: Context;
  /**
   * For trust policies: the caller's ARNs and account, matched against Principal. With `exact`, only
   * a principal naming one of the callers (or `"*"`) matches, not the account.
   */
  principal?: { callers: string[]; account: string; exact?: boolean };
}

/** `"*"`, or `{AWS: …}` naming the caller's ARN, the account id, or the account root. */
function principalMatches(p: unknown, callers: string[], account: string, exact = false): boolean {
  if (p === '*') return true;
  if (!p || typeof p !== 'object') return false;
  return asList((p as { AWS?: unknown }).AWS).some((v) =>
    v === '*' || (!exact && (v === account || v === `arn:aws:iam::${account}:root`)) || callers.includes(v));
}

/** Whether the statement applies to the request: 'yes', 'no', or 'unknown' (what fail-closed then decides). */
function applies(s: Compiled, r: AuthRequest, action: string, missing: Set<string>): 'yes' | 'no' | 'unknown' {
  if (!s.effect || !s.actions) return 'no';
  let hit = false;
  for (const a of s.actions) if (wmatch(a, action)) { hit = true; break; }
  if (hit === s.notAction) return 'no';
  const p = r.principal;
  if (p && s.hasPrincipal && principalMatches(s.principal, p.callers, p.account, p.exact) === s.notPrincipal) return 'no';
  let unknown = false;
  if (r.resource !== undefined) {
    if (!s.resources) unknown = true;
    else {
      let rhit = false;
      for (const t of s.resources) {
        const p = fill(t, r.ctx, missing);
        if (p !== null && arnMatch(p, r.resource)) { rhit = true; break; }
      }
      if (rhit === s.notResource) return 'no';
    }
  }
  if (s.badCond) unknown = true;
  for (const c of s.conds) {
    if (c.kind === 'unknown') { unknown = true; continue; }
    if (!condHolds(c, r.ctx, missing)) return 'no';
  }
  return unknown ? 'unknown' : 'yes';
}

/** The decision over a set of policies: any applying Deny, else any applying Allow, else implicit deny. */
export function evaluate(sources: readonly PolicySource[], r: AuthRequest): Evaluation {
  const action = r.action.toLowerCase();
  const allows: Matched[] = [], denies: Matched[] = [];
  const missing = new Set<string>();
  for (const source of sources) {
    const doc = compile(source.doc);
    if (!doc.statements) continue;
    for (const s of doc.statements) {
      const a = applies(s, r, action, missing);
      if (a === 'no') continue;
      const m: Matched = { source, index: s.index, ...(s.sid !== undefined ? { sid: s.sid } : {}) };
      // Fail closed: a statement this engine cannot fully judge denies if it is a Deny, grants nothing if an Allow.
      if (s.effect === 'Deny') denies.push(m);
      else if (a === 'yes') allows.push(m);
    }
  }
  const decision: Decision = denies.length ? 'explicitDeny' : allows.length ? 'allowed' : 'implicitDeny';
  return { decision, matched: denies.length ? denies : allows, missing: [...missing] };
}

// ---- Trust policies

export interface Request { action: string; callers: string[]; account: string; ctx: Context }

/** A trust policy's verdict on one action; a document that does not parse, or is over the quota, allows nothing. */
export function trustDecision(doc: string, r: Request): Decision {
  try { parsePolicy(doc); } catch { return 'implicitDeny'; }
  return evaluate([{ id: 'trust', type: 'role', doc }],
    { action: r.action, ctx: r.ctx, principal: { callers: r.callers, account: r.account } }).decision;
}

/** Whether a trust policy lets these callers do the action. */
export const allows = (doc: string, r: Request): boolean => trustDecision(doc, r) === 'allowed';
