// The account a fresh state file starts as: the seed post's user, key and MFA-only role; the
// user's permission to manage its own MFA device and nothing else; an administrator for setup
// work; and the force-MFA statement as a policy the administrator may attach.
import {
  dict, newId, newSecret, policyArn, type KeyRec, type ManagedPolicyRec, type RoleRec, type State, type UserRec,
} from './state.js';

export const FIXTURE = {
  accountId: '123456789012',
  userName: 'kjh-SuperDuperUser',
  userPath: '/service-user/',
  roleName: 'kjh-DuperRole',
  adminName: 'local-admin',
} as const;

/** The seed post's trust policy: that user, sts:AssumeRole, only with MFA. */
export const fixtureTrustPolicy = (accountId: string) => JSON.stringify({
  Version: '2012-10-17',
  Statement: [{
    Effect: 'Allow',
    Principal: { AWS: `arn:aws:iam::${accountId}:user${FIXTURE.userPath}${FIXTURE.userName}` },
    Action: 'sts:AssumeRole',
    Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
  }],
}, null, 2);

// AWS's example "IAM: Allows IAM users to self-manage an MFA device" (IAM User Guide,
// reference_policies_examples_iam_mfa-selfmanage), split in two: its Allow statements, and its
// final Deny. Attaching the Deny by default would change the seed post's own AccessDenied text.
// Create is allowed on any `mfa/*` name because the device is not yet anyone's; every other
// statement reaches only the caller's own user. IAM authorizes a user's actions on the user's ARN,
// path included (`user/service-user/kjh-SuperDuperUser`), which AWS's `user/${aws:username}` does
// not match: the seed user has a path, so each such statement also names `user/*/${aws:username}`
// (user names are unique across paths, so that is still only the caller).
const OWN = ['arn:aws:iam::*:user/${aws:username}', 'arn:aws:iam::*:user/*/${aws:username}'];
const SELF_MANAGE = [
  { Sid: 'AllowListActions', Effect: 'Allow', Action: ['iam:ListUsers', 'iam:ListVirtualMFADevices'], Resource: '*' },
  { Sid: 'AllowUserToCreateVirtualMFADevice', Effect: 'Allow', Action: ['iam:CreateVirtualMFADevice'],
    Resource: 'arn:aws:iam::*:mfa/*' },
  { Sid: 'AllowUserToManageTheirOwnMFA', Effect: 'Allow',
    Action: ['iam:EnableMFADevice', 'iam:GetMFADevice', 'iam:ListMFADevices', 'iam:ResyncMFADevice'],
    Resource: OWN },
  { Sid: 'AllowUserToDeactivateTheirOwnMFAOnlyWhenUsingMFA', Effect: 'Allow', Action: ['iam:DeactivateMFADevice'],
    Resource: OWN, Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } },
];
const FORCE_MFA = [
  { Sid: 'BlockMostAccessUnlessSignedInWithMFA', Effect: 'Deny',
    NotAction: ['iam:CreateVirtualMFADevice', 'iam:EnableMFADevice', 'iam:ListMFADevices', 'iam:ListUsers',
      'iam:ListVirtualMFADevices', 'iam:ResyncMFADevice'],
    Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } },
];
const doc = (Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement }, null, 2);

export const SELF_MANAGE_MFA = { name: 'SelfManageMFA', doc: doc(SELF_MANAGE),
  description: "AWS's self-manage-MFA example, its Allow statements: list, create, enable, resync, " +
    'deactivate (with MFA)' };
export const FORCE_MFA_POLICY = { name: 'ForceMFA', doc: doc(FORCE_MFA),
  description: "AWS's self-manage-MFA example, its Deny: nothing but MFA enrollment without MFA (attach to enforce)" };

/** An AWS-managed policy as AWS publishes it: its id, dates and default version, and that version's document. */
export interface AwsManaged { doc: string; id: string; created: string; updated: string; version: string }

/** The AWS-managed policies this endpoint knows, by ARN. */
export const AWS_MANAGED = new Map<string, AwsManaged>([
  ['arn:aws:iam::aws:policy/AdministratorAccess', { doc: doc([{ Effect: 'Allow', Action: '*', Resource: '*' }]),
    id: 'ANPAIWMBCKSKIEE64ZLYK', created: '2015-02-06T18:39:46Z', updated: '2015-02-06T18:39:46Z', version: 'v1' }],
  ['arn:aws:iam::aws:policy/IAMReadOnlyAccess', { doc: doc([{ Effect: 'Allow',
    Action: ['iam:GenerateCredentialReport', 'iam:GenerateServiceLastAccessedDetails', 'iam:Get*', 'iam:List*',
      'iam:SimulateCustomPolicy', 'iam:SimulatePrincipalPolicy'], Resource: '*' }]),
  id: 'ANPAJKSO7NDY4T57MWDSQ', created: '2015-02-06T18:40:39Z', updated: '2018-01-25T19:11:27Z', version: 'v4' }],
]);
export const awsManagedPolicy = (arn: string): string | undefined => AWS_MANAGED.get(arn)?.doc;
export const ADMIN_POLICY = 'arn:aws:iam::aws:policy/AdministratorAccess';

const managed = (accountId: string, p: { name: string; doc: string; description: string }, now: number):
  ManagedPolicyRec => ({
  arn: policyArn(accountId, '/', p.name), name: p.name, path: '/', id: newId('ANPA'), created: now, updated: now,
  description: p.description, tags: [], versions: [{ id: 'v1', doc: p.doc, created: now }], defaultVersion: 'v1',
});

/**
 * Adds what a state file written before identity policies lacks: the administrator and its key,
 * the two example policies, and SelfManageMFA on the seed user. Returns whether it changed anything.
 */
export function upgradeFixture(s: State, now: number): boolean {
  let changed = false;
  for (const p of [SELF_MANAGE_MFA, FORCE_MFA_POLICY]) {
    const arn = policyArn(s.accountId, '/', p.name);
    if (!s.policies[arn]) { s.policies[arn] = managed(s.accountId, p, now); changed = true; }
  }
  if (s.fixture.admin === undefined) {
    const seed = s.users[s.fixture.user]!;
    s.users[seed.name] = {
      ...seed, attached: [...seed.attached ?? [], policyArn(s.accountId, '/', SELF_MANAGE_MFA.name)],
    };
    let name: string = FIXTURE.adminName;
    for (let i = 2; name.toLowerCase() in lower(s.users); i++) name = `${FIXTURE.adminName}-${i}`;
    const admin: UserRec = { name, path: '/', id: newId('AIDA'), created: now, tags: [], attached: [ADMIN_POLICY] };
    const key: KeyRec = { id: newId('AKIA'), secret: newSecret(), user: name, status: 'Active', created: now };
    s.users[name] = admin;
    s.keys[key.id] = key;
    s.fixture = { ...s.fixture, admin: name, adminKey: key.id };
    changed = true;
  }
  return changed;
}
const lower = (d: Record<string, unknown>) => dict(Object.keys(d).map((k) => [k.toLowerCase(), true] as const));

export function newState(now: number): State {
  const accountId = FIXTURE.accountId;
  const key: KeyRec = { id: newId('AKIA'), secret: newSecret(), user: FIXTURE.userName, status: 'Active',
    created: now };
  const user: UserRec = { name: FIXTURE.userName, path: FIXTURE.userPath, id: newId('AIDA'), created: now, tags: [] };
  const role: RoleRec = {
    name: FIXTURE.roleName, path: '/', id: newId('AROA'), created: now,
    policy: fixtureTrustPolicy(accountId), maxSession: 3600, tags: [],
  };
  const s: State = {
    version: 1,
    accountId,
    users: dict([[user.name, user]]),
    keys: dict([[key.id, key]]),
    roles: dict([[role.name, role]]),
    mfa: dict(),
    sessions: dict(),
    policies: dict(),
    fixture: { user: FIXTURE.userName, key: key.id, role: FIXTURE.roleName },
  };
  upgradeFixture(s, now);
  return s;
}
