// Managed identity policies: customer-managed ones (created here, keyed by ARN, up to 5 versions)
// and the AWS-managed ones this endpoint knows, attached to users and roles (at most 10 each).
import { AwsError } from './errors.js';
import type { Ctx, Handler } from './context.js';
import { AWS_MANAGED } from './fixture.js';
import {
  documentParam, encodeDocument, findHolder, holderParam, policyNameParam, type Kind,
} from './iam-policy.js';
import { tagsXml, taken } from './iam.js';
import { checkIdentityPolicy, MANAGED_POLICY_MAX, policySize } from '../policy/grammar.js';
import { newId, policyArn, type ManagedPolicyRec, type PolicyVersionRec, type State } from './state.js';
import { P, paging } from './validate.js';
import { el, iso, list, page, pageTail } from './xml.js';

/** IAM's quotas: a managed policy's size (non-whitespace characters), versions kept, policies per user or role. */
export const MANAGED_QUOTA = { size: MANAGED_POLICY_MAX, versions: 5, attached: 10 } as const;

/** A managed policy as the actions see it: a customer record, or an AWS-managed policy (read-only). */
type View = ManagedPolicyRec & { aws: boolean };

function awsView(arn: string): View | undefined {
  const meta = AWS_MANAGED.get(arn);
  if (!meta) return undefined;
  const created = Date.parse(meta.created) / 1000, updated = Date.parse(meta.updated) / 1000;
  return { arn, name: arn.slice(arn.lastIndexOf('/') + 1), path: '/', id: meta.id, created, updated, tags: [],
    versions: [{ id: meta.version, doc: meta.doc, created: updated }], defaultVersion: meta.version, aws: true };
}

const findPolicy = (s: State, arn: string): View | undefined => {
  const p = s.policies[arn];
  return p ? { ...p, aws: false } : awsView(arn);
};
const allPolicies = (s: State): View[] => [
  ...Object.values(s.policies).map((p) => ({ ...p, aws: false })),
  ...[...AWS_MANAGED.keys()].map(awsView).filter((v): v is View => v !== undefined),
];

const arnParam = (c: Ctx) => c.p.str('PolicyArn', { required: true, min: 20, max: 2048 });
const versionParam = (c: Ctx) =>
  c.p.str('VersionId', { required: true, pattern: String.raw`v[1-9][0-9]*(\.[A-Za-z0-9-]*)?` });
const POLICY_PATH = String.raw`((/[A-Za-z0-9\.,\+@=_-]+)*)/`;
const bool = (c: Ctx, wire: string) => {
  const v = c.p.str(wire, { oneOf: ['true', 'false'] });
  return v === undefined ? undefined : v === 'true';
};

/** A policy ARN's shape; anything else (a role's ARN, say) is InvalidInput, as IAM answers it. */
function checkArn(arn: string): void {
  if (!/^arn:aws:iam::(\d{12}|aws):policy\/\S/.test(arn)) {
    throw new AwsError('InvalidInput', `ARN ${arn} is not valid.`);
  }
}
const notFound = (arn: string) => new AwsError('NoSuchEntity', `Policy ${arn} was not found.`);
const noVersion = (arn: string, v: string) =>
  new AwsError('NoSuchEntity', `Policy ${arn} version ${v} does not exist or is not attachable.`);

/** The policy a read names, customer- or AWS-managed: a bad ARN is InvalidInput, an unknown one NoSuchEntity. */
function knownPolicy(c: Ctx, arn: string): View {
  checkArn(arn);
  const p = findPolicy(c.state, arn);
  if (!p) throw notFound(arn);
  return p;
}

/** The customer-managed policy a change names; AWS-managed ones cannot be changed here. */
function ownPolicy(c: Ctx, arn: string): ManagedPolicyRec {
  checkArn(arn);
  const p = c.state.policies[arn];
  if (!p) throw notFound(arn);
  return p;
}

const holders = (s: State) => [...Object.values(s.users), ...Object.values(s.roles)];
const attachmentCount = (s: State, arn: string) => holders(s).filter((h) => h.attached?.includes(arn)).length;

/** The Policy shape; list calls leave out Description and Tags, as IAM does. */
function policyXml(s: State, p: View, full: boolean): string {
  return el('PolicyName', p.name) + el('PolicyId', p.id) + el('Arn', p.arn) + el('Path', p.path) +
    el('DefaultVersionId', p.defaultVersion) + el('AttachmentCount', attachmentCount(s, p.arn)) +
    el('PermissionsBoundaryUsageCount', 0) + el('IsAttachable', true) +
    (full ? el('Description', p.description) : '') + el('CreateDate', iso(p.created)) +
    el('UpdateDate', iso(p.updated)) + (full ? tagsXml(p.tags) : '');
}

/** The PolicyVersion shape; only GetPolicyVersion carries the document. */
const versionXml = (p: View, v: PolicyVersionRec, withDoc: boolean) =>
  (withDoc ? el('Document', encodeDocument(v.doc)) : '') + el('VersionId', v.id) +
  el('IsDefaultVersion', v.id === p.defaultVersion) + el('CreateDate', iso(v.created));

/** Size quota first (it bounds the document before it is parsed), then IAM's grammar. */
function checkManagedDocument(doc: string): void {
  if (policySize(doc) > MANAGED_QUOTA.size) throw new AwsError('LimitExceeded',
    `Cannot exceed quota for PolicySize: ${MANAGED_QUOTA.size}`);
  checkIdentityPolicy(doc, 'managed');
}

const CreatePolicy: Handler = (c) => {
  const name = policyNameParam(c);
  const path = c.p.str('Path', { min: 1, max: 512, pattern: POLICY_PATH }) ?? '/';
  const doc = documentParam(c);
  const description = c.p.str('Description', { max: 1000 });
  const tags = c.p.tags();
  c.p.done();
  // Names are the account's, whatever the path, and unique regardless of case.
  if (taken(Object.values(c.state.policies).map((p) => p.name), name)) {
    throw new AwsError('EntityAlreadyExists',
      `A policy called ${name} already exists. Duplicate names are not allowed.`);
  }
  checkManagedDocument(doc);
  const arn = policyArn(c.state.accountId, path, name), now = Math.floor(c.now);
  const p: ManagedPolicyRec = { arn, name, path, id: newId('ANPA'), created: now, updated: now, tags,
    versions: [{ id: 'v1', doc, created: now }], defaultVersion: 'v1', nextVersion: 2 };
  if (description !== undefined) p.description = description;
  c.state.policies[arn] = p;
  c.changed = true;
  return `<Policy>${policyXml(c.state, { ...p, aws: false }, true)}</Policy>`;
};

const GetPolicy: Handler = (c) => {
  const arn = arnParam(c);
  c.p.done();
  const p = knownPolicy(c, arn);
  return `<Policy>${policyXml(c.state, p, true)}</Policy>`;
};

const GetPolicyVersion: Handler = (c) => {
  const arn = arnParam(c), id = versionParam(c);
  c.p.done();
  checkArn(arn);
  const p = findPolicy(c.state, arn), v = p?.versions.find((x) => x.id === id);
  if (!p || !v) throw noVersion(arn, id);
  return `<PolicyVersion>${versionXml(p, v, true)}</PolicyVersion>`;
};

const DeletePolicy: Handler = (c) => {
  const arn = arnParam(c);
  c.p.done();
  const p = ownPolicy(c, arn);
  if (attachmentCount(c.state, arn) > 0) throw new AwsError('DeleteConflict',
    'Cannot delete a policy attached to entities.');
  if (p.versions.length > 1) throw new AwsError('DeleteConflict', 'This policy has more than one version. ' +
    "Before you delete a policy, you must delete the policy's versions. " +
    'The default version is deleted with the policy.');
  delete c.state.policies[arn];
  c.changed = true;
  return null;
};

const CreatePolicyVersion: Handler = (c) => {
  const arn = arnParam(c), doc = documentParam(c), setDefault = bool(c, 'SetAsDefault');
  c.p.done();
  const p = ownPolicy(c, arn);
  if (p.versions.length >= MANAGED_QUOTA.versions) throw new AwsError('LimitExceeded',
    'A managed policy can have up to 5 versions. ' +
    'Before you create a new version, you must delete an existing version.');
  checkManagedDocument(doc);
  // Version ids are never reused, even after the newest is deleted.
  const n = p.nextVersion ?? Math.max(...p.versions.map((v) => Number(/^v(\d+)/.exec(v.id)?.[1] ?? 0))) + 1;
  const v: PolicyVersionRec = { id: `v${n}`, doc, created: Math.floor(c.now) };
  p.versions.push(v);
  p.nextVersion = n + 1;
  p.updated = v.created;
  if (setDefault) p.defaultVersion = v.id;
  c.changed = true;
  return `<PolicyVersion>${versionXml({ ...p, aws: false }, v, false)}</PolicyVersion>`;
};

const ListPolicyVersions: Handler = (c) => {
  const arn = arnParam(c);
  const { marker, maxItems } = paging(c.p);
  c.p.done();
  const p = knownPolicy(c, arn);
  const pg = page([...p.versions].reverse(), (v) => v.id, marker, maxItems, false);
  return list('Versions', pg.items.map((v) => versionXml(p, v, false))) + pageTail(pg);
};

const SetDefaultPolicyVersion: Handler = (c) => {
  const arn = arnParam(c), id = versionParam(c);
  c.p.done();
  const p = ownPolicy(c, arn);
  if (!p.versions.some((v) => v.id === id)) throw noVersion(arn, id);
  if (p.defaultVersion !== id) { p.defaultVersion = id; c.changed = true; }
  return null;
};

const DeletePolicyVersion: Handler = (c) => {
  const arn = arnParam(c), id = versionParam(c);
  c.p.done();
  const p = ownPolicy(c, arn);
  if (!p.versions.some((v) => v.id === id)) throw noVersion(arn, id);
  if (p.defaultVersion === id) throw new AwsError('DeleteConflict', 'Cannot delete the default version of a policy.');
  p.versions = p.versions.filter((v) => v.id !== id);
  p.updated = Math.max(...p.versions.map((v) => v.created));
  c.changed = true;
  return null;
};

const ListPolicies: Handler = (c) => {
  const scope = c.p.str('Scope', { oneOf: ['All', 'AWS', 'Local'] }) ?? 'All';
  const onlyAttached = bool(c, 'OnlyAttached') ?? false;
  const prefix = c.p.str('PathPrefix', { min: 1, max: 512, pattern: POLICY_PATH }) ?? '/';
  const usage = c.p.str('PolicyUsageFilter', { oneOf: ['PermissionsPolicy', 'PermissionsBoundary'] });
  const { marker, maxItems } = paging(c.p);
  c.p.done();
  // No policy here is anyone's permissions boundary, so that filter leaves nothing.
  const all = usage === 'PermissionsBoundary' ? [] : allPolicies(c.state).filter((p) =>
    (scope === 'All' || (scope === 'AWS') === p.aws) && p.path.startsWith(prefix) &&
    (!onlyAttached || attachmentCount(c.state, p.arn) > 0));
  const pg = page(all, (p) => `${p.name}\u0000${p.arn}`, marker, maxItems);
  return list('Policies', pg.items.map((p) => policyXml(c.state, p, false))) + pageTail(pg);
};

const ListEntitiesForPolicy: Handler = (c) => {
  const arn = arnParam(c);
  const filter = c.p.str('EntityFilter',
    { oneOf: ['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'] });
  const prefix = c.p.str('PathPrefix', { min: 1, max: 512, pattern: P.path }) ?? '/';
  const usage = c.p.str('PolicyUsageFilter', { oneOf: ['PermissionsPolicy', 'PermissionsBoundary'] });
  const { marker, maxItems } = paging(c.p);
  c.p.done();
  knownPolicy(c, arn);
  const on = (kind: Kind, h: { path: string; attached?: string[] }) => usage !== 'PermissionsBoundary' &&
    (filter === undefined || filter === kind) && h.path.startsWith(prefix) && !!h.attached?.includes(arn);
  const all = [
    ...Object.values(c.state.users).filter((u) => on('User', u)).map((u) => ({ kind: 'User', name: u.name, id: u.id })),
    ...Object.values(c.state.roles).filter((r) => on('Role', r)).map((r) => ({ kind: 'Role', name: r.name, id: r.id })),
  ];
  const pg = page(all, (e) => `${e.kind}\u0000${e.name}`, marker, maxItems);
  const of = (kind: string) => pg.items.filter((e) => e.kind === kind).map((e) =>
    el(`${kind}Name`, e.name) + el(`${kind}Id`, e.id));
  return list('PolicyGroups', []) + list('PolicyUsers', of('User')) + list('PolicyRoles', of('Role')) + pageTail(pg);
};

function attachments(kind: Kind): Record<string, Handler> {
  const Attach: Handler = (c) => {
    const name = holderParam(c, kind, true), arn = arnParam(c);
    c.p.done();
    const h = findHolder(c.state, kind, name);
    checkArn(arn);
    if (!findPolicy(c.state, arn)) {
      throw new AwsError('NoSuchEntity', `Policy ${arn} does not exist or is not attachable.`);
    }
    if (h.attached?.includes(arn)) return null;
    if ((h.attached?.length ?? 0) >= MANAGED_QUOTA.attached) throw new AwsError('LimitExceeded',
      `Cannot exceed quota for PoliciesPer${kind}: ${MANAGED_QUOTA.attached}`);
    (h.attached ??= []).push(arn);
    c.changed = true;
    return null;
  };

  const Detach: Handler = (c) => {
    const name = holderParam(c, kind, true), arn = arnParam(c);
    c.p.done();
    const h = findHolder(c.state, kind, name);
    checkArn(arn);
    if (!h.attached?.includes(arn)) throw notFound(arn);
    h.attached = h.attached.filter((a) => a !== arn);
    if (h.attached.length === 0) delete h.attached;
    c.changed = true;
    return null;
  };

  const ListAttached: Handler = (c) => {
    const name = holderParam(c, kind, true);
    const prefix = c.p.str('PathPrefix', { min: 1, max: 512, pattern: POLICY_PATH }) ?? '/';
    const { marker, maxItems } = paging(c.p);
    c.p.done();
    const h = findHolder(c.state, kind, name);
    const found = (h.attached ?? []).map((arn) => findPolicy(c.state, arn)).filter((p): p is View =>
      p !== undefined && p.path.startsWith(prefix));
    const pg = page(found, (p) => `${p.name}\u0000${p.arn}`, marker, maxItems);
    return list('AttachedPolicies', pg.items.map((p) => el('PolicyName', p.name) + el('PolicyArn', p.arn))) +
      pageTail(pg);
  };

  return { [`Attach${kind}Policy`]: Attach, [`Detach${kind}Policy`]: Detach,
    [`ListAttached${kind}Policies`]: ListAttached };
}

export const IAM_MANAGED: Record<string, Handler> = {
  CreatePolicy, GetPolicy, GetPolicyVersion, DeletePolicy, CreatePolicyVersion, ListPolicyVersions,
  SetDefaultPolicyVersion, DeletePolicyVersion, ListPolicies, ListEntitiesForPolicy,
  ...attachments('User'), ...attachments('Role'),
};
