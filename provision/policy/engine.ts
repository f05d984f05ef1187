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
import {
  asList, compileCond, condHolds, fill, template, type Cond, type Context, type Template,
} from './conditions.js';
import { parsePolicy } from './grammar.js';
import { arnMatch, wild, wmatch } from './pattern.js';

export type { Context } from './conditions.js';
export { glob, type Steps } from './pattern.js';

/** One identity policy as the evaluator sees it: where it came from (for messages and Simulate*) and its text. */
export interface PolicySource {
  /** The inline policy's name, or the managed policy's ARN. */
  id: string;
  /** Simulate*'s SourcePolicyType ('none': a document passed in the Simulate request). */
  type: 'user' | 'role' | 'user-managed' | 'aws-managed' | 'none';
  doc: string;
}

interface Statement {
  Sid?: unknown; Effect?: unknown; Principal?: unknown; NotPrincipal?: unknown;
  Action?: unknown; NotAction?: unknown; Resource?: unknown; NotResource?: unknown; Condition?: unknown;
}

// ---- Compiling

interface Compiled {
  index: number; sid?: string; effect: 'Allow' | 'Deny' | null;
  actions: string[] | null; notAction: boolean;
  resources: Template[] | null; notResource: boolean;
  principal: unknown; notPrincipal: boolean; hasPrincipal: boolean;
  conds: Cond[];
  /** The Condition block was not an object of objects: an unknown operator, in effect. */
  badCond: boolean;
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
  if (p && s.hasPrincipal && principalMatches(s.principal, p.callers, p.account, p.exact) === s.notPrincipal) {
    return 'no';
  }
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

/** With `exact`, only a principal naming one of the callers (or `"*"`) matches, not the account. */
export interface Request { action: string; callers: string[]; account: string; ctx: Context; exact?: boolean }

/** A trust policy's verdict on one action; a document that does not parse, or is over the quota, allows nothing. */
export function trustDecision(doc: string, r: Request): Decision {
  try { parsePolicy(doc); } catch { return 'implicitDeny'; }
  return evaluate([{ id: 'trust', type: 'role', doc }],
    { action: r.action, ctx: r.ctx, principal: { callers: r.callers, account: r.account, exact: r.exact } }).decision;
}

/** Whether a trust policy lets these callers do the action. */
export const allows = (doc: string, r: Request): boolean => trustDecision(doc, r) === 'allowed';
