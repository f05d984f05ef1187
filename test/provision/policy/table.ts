// AWS's documented MFA policies and the callers they meet, with the decision IAM documents for each
// row: the engine suite checks ours against it, the moto suite checks moto's.
import type { Context, Decision } from '../../../provision/policy/engine.js';

export const ACCT = '123456789012';
export const USER = (n: string) => `arn:aws:iam::${ACCT}:user/${n}`;
export const MFA = (n: string) => `arn:aws:iam::${ACCT}:mfa/${n}`;
export const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

// AWS IAM User Guide, "IAM: Allows IAM users to self-manage an MFA device"
// (reference_policies_examples_iam_mfa-selfmanage), verbatim.
export const P51 = doc(
  { Sid: 'AllowListActions', Effect: 'Allow', Action: ['iam:ListUsers', 'iam:ListVirtualMFADevices'], Resource: '*' },
  { Sid: 'AllowUserToCreateVirtualMFADevice', Effect: 'Allow', Action: ['iam:CreateVirtualMFADevice'],
    Resource: 'arn:aws:iam::*:mfa/*' },
  { Sid: 'AllowUserToManageTheirOwnMFA', Effect: 'Allow',
    Action: ['iam:EnableMFADevice', 'iam:GetMFADevice', 'iam:ListMFADevices', 'iam:ResyncMFADevice'],
    Resource: 'arn:aws:iam::*:user/${aws:username}' },
  { Sid: 'AllowUserToDeactivateTheirOwnMFAOnlyWhenUsingMFA', Effect: 'Allow', Action: ['iam:DeactivateMFADevice'],
    Resource: ['arn:aws:iam::*:user/${aws:username}'], Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } },
  { Sid: 'BlockMostAccessUnlessSignedInWithMFA', Effect: 'Deny',
    NotAction: ['iam:CreateVirtualMFADevice', 'iam:EnableMFADevice', 'iam:ListMFADevices', 'iam:ListUsers',
      'iam:ListVirtualMFADevices', 'iam:ResyncMFADevice'],
    Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } });
// The same guide, "AWS: Allows MFA-authenticated IAM users to manage their own credentials on the
// Security credentials page" (reference_policies_examples_aws_my-sec-creds-self-manage), its Deny statement.
export const P53 = doc({ Sid: 'DenyAllExceptListedIfNoMFA', Effect: 'Deny',
  NotAction: ['iam:CreateVirtualMFADevice', 'iam:EnableMFADevice', 'iam:GetUser', 'iam:ListMFADevices',
    'iam:ListVirtualMFADevices', 'iam:ResyncMFADevice', 'sts:GetSessionToken'],
  Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } });
// The same guide, IAM JSON policy elements: NotAction (reference_policies_elements_notaction).
export const P54 = doc({ Sid: 'DenyAllUsersNotUsingMFA', Effect: 'Deny', NotAction: 'iam:*', Resource: '*',
  Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } });
// The same guide, "Sample policies with MFA" (id_credentials_mfa_sample-policies), example 1.
export const P55 = doc({ Effect: 'Allow', Action: ['ec2:*'], Resource: ['*'],
  Condition: { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } } });
// The trap the condition-keys page warns of: Bool (not BoolIfExists) never fires for long-term keys.
export const TRAP = doc({ Effect: 'Deny', Action: '*', Resource: '*',
  Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } } });
export const ADMIN = doc({ Effect: 'Allow', Action: '*', Resource: '*' });

/** The request context each kind of caller brings (the reference's MFA-key table). */
const base = (extra: [string, string][]): Context => new Map<string, string>([
  ['aws:principalaccount', ACCT], ...extra]);
const userKeys: [string, string][] = [['aws:username', 'alice'], ['aws:userid', 'AIDAALICE'],
  ['aws:principaltype', 'User'], ['aws:principalarn', USER('alice')]];
export const PRINCIPALS: Record<string, Context> = {
  'long-term key': base(userKeys),
  'GetSessionToken, no MFA': base([...userKeys, ['aws:multifactorauthpresent', 'false']]),
  'GetSessionToken + MFA, 60 s old': base([...userKeys, ['aws:multifactorauthpresent', 'true'],
    ['aws:multifactorauthage', '60']]),
  'GetSessionToken + MFA, 2 h old': base([...userKeys, ['aws:multifactorauthpresent', 'true'],
    ['aws:multifactorauthage', '7200']]),
  'role session, no MFA': base([['aws:userid', 'AROAROLE:s'], ['aws:principaltype', 'AssumedRole'],
    ['aws:principalarn', `arn:aws:iam::${ACCT}:role/r`], ['aws:multifactorauthpresent', 'false']]),
};
export type Who = keyof typeof PRINCIPALS;

/** [policy, policies, principal, action, resource, decision] */
export const ROWS: [string, string[], Who, string, string, Decision][] = [
  ['5.1', [P51], 'long-term key', 'iam:CreateVirtualMFADevice', MFA('alice'), 'allowed'],
  ['5.1', [P51], 'long-term key', 'iam:CreateVirtualMFADevice', MFA('anything'), 'allowed'],
  ['5.1', [P51], 'long-term key', 'iam:EnableMFADevice', USER('alice'), 'allowed'],
  ['5.1', [P51], 'long-term key', 'iam:EnableMFADevice', USER('bob'), 'implicitDeny'],
  ['5.1', [P51], 'long-term key', 'iam:ListUsers', '*', 'allowed'],
  ['5.1', [P51], 'long-term key', 'iam:DeactivateMFADevice', USER('alice'), 'explicitDeny'],
  ['5.1', [P51], 'long-term key', 'iam:GetMFADevice', USER('alice'), 'explicitDeny'],
  ['5.1', [P51], 'long-term key', 'iam:CreateUser', USER('mallory'), 'explicitDeny'],
  ['5.1', [P51], 'long-term key', 'iam:CreateAccessKey', USER('alice'), 'explicitDeny'],
  ['5.1', [P51], 'GetSessionToken, no MFA', 'iam:DeactivateMFADevice', USER('alice'), 'explicitDeny'],
  ['5.1', [P51], 'GetSessionToken, no MFA', 'iam:ResyncMFADevice', USER('alice'), 'allowed'],
  ['5.1', [P51], 'GetSessionToken + MFA, 60 s old', 'iam:DeactivateMFADevice', USER('alice'), 'allowed'],
  ['5.1', [P51], 'GetSessionToken + MFA, 60 s old', 'iam:DeactivateMFADevice', USER('bob'), 'implicitDeny'],
  ['5.1', [P51], 'GetSessionToken + MFA, 60 s old', 'iam:GetMFADevice', USER('alice'), 'allowed'],
  ['5.1', [P51], 'GetSessionToken + MFA, 60 s old', 'iam:CreateUser', USER('mallory'), 'implicitDeny'],
  ['5.1', [P51], 'GetSessionToken + MFA, 2 h old', 'iam:DeactivateMFADevice', USER('alice'), 'allowed'],
  ['5.1', [P51], 'role session, no MFA', 'iam:EnableMFADevice', USER('alice'), 'implicitDeny'],
  ['5.1', [P51], 'role session, no MFA', 'iam:CreateUser', USER('mallory'), 'explicitDeny'],
  ['5.3+admin', [P53, ADMIN], 'long-term key', 'iam:CreateUser', USER('mallory'), 'explicitDeny'],
  ['5.3+admin', [P53, ADMIN], 'long-term key', 'iam:GetUser', USER('alice'), 'allowed'],
  ['5.3+admin', [P53, ADMIN], 'long-term key', 'sts:GetSessionToken', '*', 'allowed'],
  ['5.3+admin', [P53, ADMIN], 'GetSessionToken, no MFA', 'iam:DeactivateMFADevice', USER('alice'), 'explicitDeny'],
  ['5.3+admin', [P53, ADMIN], 'GetSessionToken + MFA, 60 s old', 'iam:CreateUser', USER('mallory'), 'allowed'],
  ['5.3+admin', [P53, ADMIN], 'role session, no MFA', 'iam:GetUser', USER('alice'), 'allowed'],
  ['5.4+admin', [P54, ADMIN], 'long-term key', 'sts:AssumeRole', `arn:aws:iam::${ACCT}:role/r`, 'explicitDeny'],
  ['5.4+admin', [P54, ADMIN], 'long-term key', 'iam:CreateUser', USER('mallory'), 'allowed'],
  ['5.4+admin', [P54, ADMIN], 'GetSessionToken, no MFA', 'ec2:RunInstances', '*', 'explicitDeny'],
  ['5.4+admin', [P54, ADMIN], 'GetSessionToken + MFA, 2 h old', 'ec2:RunInstances', '*', 'allowed'],
  ['5.5', [P55], 'long-term key', 'ec2:RunInstances', '*', 'implicitDeny'],
  ['5.5', [P55], 'GetSessionToken, no MFA', 'ec2:RunInstances', '*', 'implicitDeny'],
  ['5.5', [P55], 'GetSessionToken + MFA, 60 s old', 'ec2:RunInstances', '*', 'allowed'],
  ['5.5', [P55], 'GetSessionToken + MFA, 2 h old', 'ec2:RunInstances', '*', 'implicitDeny'],
  ['5.5', [P55], 'role session, no MFA', 'ec2:RunInstances', '*', 'implicitDeny'],
  ['Bool trap+admin', [TRAP, ADMIN], 'long-term key', 'iam:CreateUser', USER('mallory'), 'allowed'],
  ['Bool trap+admin', [TRAP, ADMIN], 'GetSessionToken, no MFA', 'iam:CreateUser', USER('mallory'), 'explicitDeny'],
];

