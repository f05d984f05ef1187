// The policy engine in-process: AWS's own MFA policies against each kind of caller, with the
// decision IAM documents for each row; then every operator's edges, variables, ARN and case rules,
// fail-closed documents, and a glob built to backtrack, counted in steps rather than timed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluate, glob, type Context } from '../../../provision/policy/engine.js';
import { ACCT, ADMIN, doc, MFA, P51, P55, PRINCIPALS, ROWS, USER } from './table.js';
import type { PolicySource } from '../../../provision/policy/engine.js';

const src = (d: string, id = 'p'): PolicySource => ({ id, type: 'user', doc: d });

const T = suite("AWS's MFA example policies × callers: the documented decision per row");
for (const [name, docs, who, action, resource, want] of ROWS) {
  T(`${name}: ${who}, ${action} on ${resource} → ${want}`, () => {
    const e = evaluate(docs.map((d, i) => src(d, `${name}#${i}`)), { action, resource, ctx: PRINCIPALS[who]! });
    assert.is(e.decision, want);
  });
}

const E = suite('policy engine: matched statements and missing context keys');
E('an explicit deny reports only the deny statement, with its Sid and index', () => {
  const e = evaluate([src(P51, 'SelfManage'), src(ADMIN, 'Admin')],
    { action: 'iam:CreateUser', resource: USER('x'), ctx: PRINCIPALS['long-term key']! });
  assert.is(e.decision, 'explicitDeny');
  assert.equal(e.matched.map((m) => [m.source.id, m.index, m.sid]),
    [['SelfManage', 4, 'BlockMostAccessUnlessSignedInWithMFA']]);
  assert.ok(e.missing.includes('aws:MultiFactorAuthPresent'));
});
E('allowed lists every Allow that applied; implicit deny lists none', () => {
  const e = evaluate([src(P51, 'a'), src(ADMIN, 'b')],
    { action: 'iam:ListUsers', resource: '*', ctx: PRINCIPALS['long-term key']! });
  assert.equal(e.matched.map((m) => m.source.id), ['a', 'b']);
  assert.equal(evaluate([src(P55)], { action: 'ec2:X', resource: '*', ctx: PRINCIPALS['long-term key']! }),
    { decision: 'implicitDeny', matched: [], missing: ['aws:MultiFactorAuthAge'] });
});
E('a variable without a value is reported missing and matches nothing', () => {
  const e = evaluate([src(P51)],
    { action: 'iam:EnableMFADevice', resource: USER('alice'), ctx: PRINCIPALS['role session, no MFA']! });
  assert.is(e.decision, 'implicitDeny');
  assert.ok(e.missing.includes('aws:username'));
});

const one = (statement: object, action: string, resource: string, ctx: [string, string | string[]][] = [],
  version = '2012-10-17') => evaluate([src(JSON.stringify({ Version: version, Statement: [statement] }))],
  { action, resource, ctx: new Map(ctx) }).decision;
const allow = (extra: object) => ({ Effect: 'Allow', Action: '*', Resource: '*', ...extra });
const cond = (c: object, ctx: [string, string | string[]][] = []) => one(allow({ Condition: c }), 'iam:X', '*', ctx);

const O = suite('policy engine: operators at their edges');
O('Bool and BoolIfExists: absent key is false for Bool, true for BoolIfExists; JSON true reads as "true"', () => {
  assert.is(cond({ Bool: { 'aws:MultiFactorAuthPresent': 'false' } }), 'implicitDeny');
  assert.is(cond({ BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } }), 'allowed');
  assert.is(cond({ Bool: { 'aws:MultiFactorAuthPresent': true } }, [['aws:multifactorauthpresent', 'true']]),
    'allowed');
  assert.is(cond({ Bool: { 'AWS:MULTIFACTORAUTHPRESENT': 'TRUE' } }, [['aws:multifactorauthpresent', 'true']]),
    'allowed');
});
O('Numeric*: each comparison, IfExists on an absent key, a non-number never matches', () => {
  const age = (op: string, v: string, have?: string) => cond({ [op]: { 'aws:MultiFactorAuthAge': v } },
    have === undefined ? [] : [['aws:multifactorauthage', have]]);
  assert.is(age('NumericLessThan', '3600', '3599'), 'allowed');
  assert.is(age('NumericLessThan', '3600', '3600'), 'implicitDeny');
  assert.is(age('NumericLessThanEquals', '3600', '3600'), 'allowed');
  assert.is(age('NumericGreaterThan', '1800', '1801'), 'allowed');
  assert.is(age('NumericGreaterThanEquals', '1800', '1799'), 'implicitDeny');
  assert.is(age('NumericEquals', '60', '60.0'), 'allowed');
  assert.is(age('NumericNotEquals', '60', '61'), 'allowed');
  assert.is(age('NumericLessThan', '3600'), 'implicitDeny');
  assert.is(age('NumericLessThanIfExists', '3600'), 'allowed');
  assert.is(age('NumericNotEquals', '60'), 'allowed', 'negated operator on an absent key is true');
  assert.is(age('NumericLessThan', 'abc', '1'), 'implicitDeny');
  assert.is(age('NumericLessThan', '3600', '0x10'), 'implicitDeny');
});
O('String*: case rules, negated operators AND their values and hold on an absent key, IfExists', () => {
  const k = (op: string, v: string | string[], have?: string) => cond({ [op]: { 'aws:username': v } },
    have === undefined ? [] : [['aws:username', have]]);
  assert.is(k('StringEquals', 'Alice', 'alice'), 'implicitDeny');
  assert.is(k('StringEqualsIgnoreCase', 'Alice', 'alice'), 'allowed');
  assert.is(k('StringEquals', ['bob', 'alice'], 'alice'), 'allowed');
  assert.is(k('StringNotEquals', ['bob', 'alice'], 'alice'), 'implicitDeny');
  assert.is(k('StringNotEquals', ['bob', 'carol'], 'alice'), 'allowed');
  assert.is(k('StringNotEquals', 'bob'), 'allowed');
  assert.is(k('StringNotLike', 'b*'), 'allowed');
  assert.is(k('StringLike', 'a?ice', 'alice'), 'allowed');
  assert.is(k('StringLike', 'A*', 'alice'), 'implicitDeny');
  assert.is(k('StringLike', 'a*'), 'implicitDeny');
  assert.is(k('StringEqualsIfExists', 'bob'), 'allowed');
  assert.is(k('StringEqualsIfExists', 'bob', 'alice'), 'implicitDeny');
  assert.is(k('StringNotEqualsIgnoreCase', 'ALICE', 'alice'), 'implicitDeny');
});
O('Arn*: each of the six fields on its own; ArnNotLike on an absent key holds', () => {
  const a = (op: string, v: string, have?: string) => cond({ [op]: { 'aws:PrincipalArn': v } },
    have === undefined ? [] : [['aws:principalarn', have]]);
  assert.is(a('ArnLike', 'arn:aws:iam::*:user/*', USER('a')), 'allowed');
  assert.is(a('ArnEquals', 'arn:aws:iam::*:user/*', USER('a')), 'allowed');
  assert.is(a('ArnLike', 'arn:aws:iam::*:role/*', USER('a')), 'implicitDeny');
  assert.is(a('ArnLike', 'arn:aws:iam::?:user/a', USER('a')), 'implicitDeny', '? is one character of one field');
  assert.is(a('ArnLike', 'arn:aws:iam::*:user/A', USER('a')), 'implicitDeny');
  assert.is(a('ArnNotLike', 'arn:aws:iam::*:role/*'), 'allowed');
  assert.is(a('ArnLike', 'arn:aws:iam::*:role/*'), 'implicitDeny');
});
O('Null: true means absent, false present', () => {
  assert.is(cond({ Null: { 'aws:MultiFactorAuthAge': 'true' } }), 'allowed');
  assert.is(cond({ Null: { 'aws:MultiFactorAuthAge': 'true' } }, [['aws:multifactorauthage', '5']]), 'implicitDeny');
  assert.is(cond({ Null: { 'aws:MultiFactorAuthAge': 'false' } }, [['aws:multifactorauthage', '5']]), 'allowed');
  assert.is(cond({ Null: { 'aws:MultiFactorAuthAge': 'false' } }), 'implicitDeny');
});
O('Date*: ISO 8601 and epoch seconds; aws:CurrentTime before a date', () => {
  const now: [string, string][] = [['aws:currenttime', '2027-01-01T00:00:00Z'], ['aws:epochtime', '1798761600']];
  assert.is(cond({ DateLessThan: { 'aws:CurrentTime': '2027-06-01T00:00:00Z' } }, now), 'allowed');
  assert.is(cond({ DateGreaterThan: { 'aws:CurrentTime': '2027-06-01T00:00:00Z' } }, now), 'implicitDeny');
  assert.is(cond({ DateGreaterThanEquals: { 'aws:EpochTime': '1798761600' } }, now), 'allowed');
});
O('ForAnyValue / ForAllValues over a multi-valued key, and over an absent one', () => {
  const tags: [string, string[]][] = [['aws:tagkeys', ['team', 'env']]];
  assert.is(cond({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } }, tags), 'allowed');
  assert.is(cond({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } }, tags), 'implicitDeny');
  assert.is(cond({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'team', 'x'] } }, tags), 'allowed');
  assert.is(cond({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } }), 'allowed', 'no values: true');
  assert.is(cond({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } }), 'implicitDeny', 'no values: false');
});
O('several operators and keys are AND; an unknown operator fails closed both ways', () => {
  const ctx: [string, string][] = [['aws:username', 'alice'], ['aws:multifactorauthpresent', 'true']];
  assert.is(cond({ StringEquals: { 'aws:username': 'alice' }, Bool: { 'aws:MultiFactorAuthPresent': 'true' } }, ctx),
    'allowed');
  assert.is(cond({ StringEquals: { 'aws:username': 'alice' }, Bool: { 'aws:MultiFactorAuthPresent': 'false' } }, ctx),
    'implicitDeny');
  assert.is(cond({ StringSoundsLike: { 'aws:username': 'alice' } }, ctx), 'implicitDeny',
    'an Allow with it grants nothing');
  const d = evaluate([src(ADMIN), src(doc({ Effect: 'Deny', Action: '*', Resource: '*',
    Condition: { StringSoundsLike: { 'aws:username': 'bob' } } }))],
  { action: 'iam:X', resource: '*', ctx: new Map(ctx) });
  assert.is(d.decision, 'explicitDeny', 'a Deny with it denies');
});

const R = suite('policy engine: Action, Resource, variables and case');
R('Action ignores case and takes * and ?; NotAction is everything else', () => {
  assert.is(one(allow({ Action: 'IAM:createuser' }), 'iam:CreateUser', '*'), 'allowed');
  assert.is(one(allow({ Action: 'iam:?reateUser' }), 'iam:CreateUser', '*'), 'allowed');
  assert.is(one(allow({ Action: 'iam:Create*' }), 'iam:DeleteUser', '*'), 'implicitDeny');
  assert.is(one({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }, 'sts:AssumeRole', '*'), 'allowed');
  assert.is(one({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }, 'iam:GetUser', '*'), 'implicitDeny');
});
R('Resource is case-sensitive; * crosses / within the resource; NotResource is everything else', () => {
  assert.is(one(allow({ Resource: 'arn:aws:iam::*:user/Alice' }), 'iam:GetUser', USER('alice')), 'implicitDeny');
  assert.is(one(allow({ Resource: 'arn:aws:iam::*:user/*' }), 'iam:GetUser', `arn:aws:iam::${ACCT}:user/a/b/c`),
    'allowed');
  assert.is(one(allow({ Resource: 'arn:aws:iam::*:user/?lice' }), 'iam:GetUser', USER('alice')), 'allowed');
  assert.is(one(allow({ Resource: 'arn:aws:iam::12345678901?:user/*' }), 'iam:GetUser', USER('a')), 'allowed');
  assert.is(one(allow({ Resource: 'arn:aws:iam::*:mfa/*' }), 'iam:GetUser', USER('a')), 'implicitDeny');
  assert.is(one(allow({ Resource: 'arn:aws:*' }), 'iam:GetUser', USER('a')), 'allowed',
    'a trailing * reaches past colons');
  const notRes = { Effect: 'Allow', Action: '*', NotResource: 'arn:aws:iam::*:user/root-*' };
  assert.is(one(notRes, 'iam:GetUser', USER('alice')), 'allowed');
  assert.is(one(notRes, 'iam:GetUser', USER('root-ops')), 'implicitDeny');
});
R('the user ARN carries its path: user/${aws:username} does not reach user/PATH/NAME', () => {
  const st = allow({ Resource: 'arn:aws:iam::*:user/${aws:username}' });
  const ctx: [string, string][] = [['aws:username', 'alice']];
  assert.is(one(st, 'iam:EnableMFADevice', USER('alice'), ctx), 'allowed');
  assert.is(one(st, 'iam:EnableMFADevice', USER('ops/alice'), ctx), 'implicitDeny');
  assert.is(one(allow({ Resource: 'arn:aws:iam::*:user/*/${aws:username}' }), 'iam:EnableMFADevice',
    USER('ops/alice'), ctx), 'allowed');
});
R('variables: only under 2012-10-17, defaults, escapes, and their values stay literal', () => {
  const st = allow({ Resource: 'arn:aws:iam::*:user/${aws:username}' });
  assert.is(one(st, 'iam:GetUser', USER('alice'), [['aws:username', 'alice']], '2008-10-17'), 'implicitDeny');
  assert.is(one(st, 'iam:GetUser', USER('${aws:username}'), [['aws:username', 'alice']], '2008-10-17'), 'allowed');
  assert.is(one(allow({ Resource: "arn:aws:iam::*:user/${aws:PrincipalTag/team, 'shared'}" }), 'iam:GetUser',
    USER('shared')), 'allowed');
  assert.is(one(allow({ Resource: 'arn:aws:iam::*:user/a${*}b' }), 'iam:GetUser', USER('a*b')), 'allowed');
  assert.is(one(allow({ Resource: 'arn:aws:iam::*:user/a${*}b' }), 'iam:GetUser', USER('axxb')), 'implicitDeny');
  assert.is(one(allow({ Resource: 'arn:aws:iam::*:user/a${?}${$}' }), 'iam:GetUser', USER('a?$')), 'allowed');
  // A value with a wildcard in it is that character, not a wildcard.
  const tagged: [string, string][] = [['aws:principaltag/team', '*']];
  assert.is(one(allow({ Resource: 'arn:aws:iam::*:user/${aws:PrincipalTag/team}' }), 'iam:GetUser', USER('alice'),
    tagged), 'implicitDeny');
  assert.is(one(allow({ Resource: 'arn:aws:iam::*:user/${aws:PrincipalTag/team}' }), 'iam:GetUser', USER('*'),
    tagged), 'allowed');
  // In a String condition too; a missing one matches no value.
  assert.is(cond({ StringEquals: { 'aws:PrincipalTag/owner': '${aws:username}' } },
    [['aws:principaltag/owner', 'alice'], ['aws:username', 'alice']]), 'allowed');
  assert.is(cond({ StringEquals: { 'aws:PrincipalTag/owner': '${aws:username}' } },
    [['aws:principaltag/owner', 'alice']]), 'implicitDeny');
});
R('Effect is case-sensitive; a statement with no Resource grants nothing and, as a Deny, denies', () => {
  assert.is(one({ Effect: 'allow', Action: '*', Resource: '*' }, 'iam:X', '*'), 'implicitDeny');
  assert.is(one({ Effect: 'Allow', Action: '*' }, 'iam:X', '*'), 'implicitDeny');
  assert.is(evaluate([src(ADMIN), src(doc({ Effect: 'Deny', Action: 'iam:X' }))],
    { action: 'iam:X', resource: '*', ctx: new Map() }).decision, 'explicitDeny');
  assert.is(evaluate([src('{not json'), src(ADMIN)], { action: 'iam:X', resource: '*', ctx: new Map() }).decision,
    'allowed');
});

const L = suite('glob: linear work on patterns built to backtrack');
L('a*a*a*…b against a long run of a: steps grow linearly, not exponentially or quadratically', () => {
  for (const n of [1000, 4000]) {
    const steps = { n: 0 };
    assert.not.ok(glob(`${'a*'.repeat(30)}b`, 'a'.repeat(n), false, steps));
    assert.ok(steps.n < 4 * n, `${steps.n} steps for ${n} characters`);
  }
  const steps = { n: 0 };
  assert.not.ok(glob(`*${'?'.repeat(50)}!`, 'x'.repeat(2000), false, steps));
  assert.ok(steps.n <= 52 * 2001, `${steps.n}: bounded by |pattern| × |subject|`);
});
L('a 4,000-star resource pattern against a 2,000-character ARN decides within |p| × |s| steps', () => {
  const r = `arn:aws:iam::${ACCT}:user/${'a'.repeat(2000)}`;
  const e = evaluate([src(doc(allow({ Resource: `arn:aws:iam::*:user/${'*a'.repeat(2000)}!` })))],
    { action: 'iam:GetUser', resource: r, ctx: new Map() });
  assert.is(e.decision, 'implicitDeny');
  const steps = { n: 0 };
  glob(`${'*a'.repeat(2000)}!`, 'a'.repeat(2000), false, steps);
  assert.ok(steps.n <= 4001 * 2001, String(steps.n));
});

T.run(); E.run(); O.run(); R.run(); L.run();
