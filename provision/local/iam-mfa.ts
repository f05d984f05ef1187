// IAM virtual MFA: create, enable, resync, deactivate, delete, list, with the texts real IAM sends.
import { AwsError, noSuchDevice, noSuchUser } from './errors.js';
import { targetUser, type Ctx, type Handler } from './context.js';
import { tagsXml, userXml } from './iam.js';
import { checkEnable, checkResync, newSeed, otpauthUri, qrPng } from './mfa.js';
import { mfaSerial, type MfaRec } from './state.js';
import { P, paging } from './validate.js';
import { el, iso, list, page, pageTail } from './xml.js';

/** "IAM users can register up to eight MFA devices of any type" (IAM user guide). */
export const MFA_PER_USER = 8;
const BAD_CODE = 'Authentication code for device is not valid.';
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

const CreateVirtualMFADevice: Handler = async (c) => {
  const name = c.p.str('VirtualMFADeviceName', { required: true, min: 1, pattern: P.name });
  const path = c.p.path();
  const tags = c.p.tags();
  c.p.done();
  const serial = mfaSerial(c.state.accountId, path, name);
  if (c.state.mfa[serial]) throw new AwsError('EntityAlreadyExists', 'MFA device already exists.');
  const seed = newSeed();
  const png = await qrPng(otpauthUri(name, c.state.accountId, seed));
  c.state.mfa[serial] = { serial, name, path, seed, created: c.now, tags, offset: 0, used: [] };
  c.changed = true;
  // Both blobs are base64 on the wire; the seed blob is the base32 *text*, as real IAM sends it.
  return `<VirtualMFADevice>${el('SerialNumber', serial)}${el('Base32StringSeed', b64(seed))}` +
    `${el('QRCodePNG', b64(png))}${tagsXml(tags)}</VirtualMFADevice>`;
};

/** The four parameters Enable and Resync share, all required. */
function pairInput(c: Ctx) {
  const user = c.p.str('UserName', { required: true, min: 1, max: 128, pattern: P.name });
  const serial = c.p.str('SerialNumber', { required: true, min: 9, max: 256, pattern: P.serial });
  const code1 = c.p.str('AuthenticationCode1', { required: true, min: 6, max: 6, pattern: P.code });
  const code2 = c.p.str('AuthenticationCode2', { required: true, min: 6, max: 6, pattern: P.code });
  c.p.done();
  if (!c.state.users[user]) throw noSuchUser(user);
  const d = c.state.mfa[serial];
  if (!d) throw noSuchDevice(serial);
  return { user, d, code1, code2 };
}

const EnableMFADevice: Handler = (c) => {
  const { user, d, code1, code2 } = pairInput(c);
  if (d.user !== undefined) throw new AwsError('EntityAlreadyExists', 'MFA Device is already in use.');
  if (Object.values(c.state.mfa).filter((m) => m.user === user).length >= MFA_PER_USER) {
    throw new AwsError('LimitExceeded', `Cannot exceed quota for MFADevicesPerUser: ${MFA_PER_USER}`);
  }
  if (!checkEnable(d, code1, code2, c.totpNow, c.resyncWindow)) throw new AwsError('InvalidAuthenticationCode',
    BAD_CODE);
  d.user = user;
  d.enabled = c.now;
  c.changed = true;
  return null;
};

const ResyncMFADevice: Handler = (c) => {
  const { user, d, code1, code2 } = pairInput(c);
  if (d.user !== user) throw noSuchDevice(d.serial);
  if (!checkResync(d, code1, code2, c.totpNow, c.resyncWindow)) throw new AwsError('InvalidAuthenticationCode',
    BAD_CODE);
  c.changed = true;
  return null;
};

const DeactivateMFADevice: Handler = (c) => {
  const serial = c.p.str('SerialNumber', { required: true, min: 9, max: 256, pattern: P.serial });
  const name = c.p.str('UserName', { min: 1, max: 128, pattern: P.name });
  c.p.done();
  const u = targetUser(c, name);
  const d = c.state.mfa[serial];
  if (!d || d.user !== u.name) throw noSuchDevice(serial);
  delete d.user;
  delete d.enabled;
  d.offset = 0;
  c.changed = true;
  return null;
};

const DeleteVirtualMFADevice: Handler = (c) => {
  const serial = c.p.str('SerialNumber', { required: true, min: 9, max: 256, pattern: P.serial });
  c.p.done();
  const d = c.state.mfa[serial];
  if (!d) throw noSuchDevice(serial);
  // "You must deactivate a user's virtual MFA device before you can delete it." (API reference)
  if (d.user !== undefined) throw new AwsError('DeleteConflict',
    'Cannot delete entity, must deactivate MFA device first.');
  delete c.state.mfa[serial];
  c.changed = true;
  return null;
};

/** Never the seed or the QR: AWS lists SerialNumber, plus User and EnableDate once assigned. */
function listedDevice(c: Ctx, d: MfaRec): string {
  const u = d.user !== undefined ? c.state.users[d.user] : undefined;
  return el('SerialNumber', d.serial) + (u ?
    `<User>${userXml(c.state, u, false)}</User>${el('EnableDate', iso(d.enabled ?? c.now))}` : '');
}

const ListVirtualMFADevices: Handler = (c) => {
  const status = c.p.str('AssignmentStatus', { oneOf: ['Assigned', 'Unassigned', 'Any'] }) ?? 'Any';
  const { marker, maxItems } = paging(c.p);
  c.p.done();
  const all = Object.values(c.state.mfa).filter((d) => status === 'Any' ||
    (status === 'Assigned') === (d.user !== undefined));
  const pg = page(all, (d) => d.serial, marker, maxItems);
  return list('VirtualMFADevices', pg.items.map((d) => listedDevice(c, d))) + pageTail(pg);
};

const ListMFADevices: Handler = (c) => {
  const name = c.p.str('UserName', { min: 1, max: 128, pattern: P.name });
  const { marker, maxItems } = paging(c.p);
  c.p.done();
  const u = targetUser(c, name);
  const pg = page(Object.values(c.state.mfa).filter((d) => d.user === u.name), (d) => d.serial, marker, maxItems);
  return list('MFADevices', pg.items.map((d) =>
    el('UserName', u.name) + el('SerialNumber', d.serial) + el('EnableDate', iso(d.enabled ?? c.now)))) + pageTail(pg);
};

/** IAM allows 50 tags per resource. */
const TAGS_PER_DEVICE = 50;
const sameKey = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The tag calls' SerialNumber; its device is looked up once the whole input has been validated. */
function taggedDevice(c: Ctx): () => MfaRec {
  const serial = c.p.str('SerialNumber', { required: true, min: 9, max: 256, pattern: P.serial });
  return () => c.state.mfa[serial] ?? (() => { throw noSuchDevice(serial); })();
}

const ListMFADeviceTags: Handler = (c) => {
  const device = taggedDevice(c);
  const { marker, maxItems } = paging(c.p);
  c.p.done();
  // In the order they were added, as CreateVirtualMFADevice and TagMFADevice gave them.
  const pg = page(device().tags, (t) => t.Key, marker, maxItems, false);
  return list('Tags', pg.items.map((t) => el('Key', t.Key) + el('Value', t.Value))) + pageTail(pg);
};

/** Adds tags, or replaces the value of a key the device already has (keys compare case-insensitively). */
const TagMFADevice: Handler = (c) => {
  const device = taggedDevice(c);
  const given = c.p.has('Tags') || c.p.has('Tags.member.1.Key') || c.p.has('Tags.member.1.Value');
  const tags = c.p.tags();
  if (!given) c.p.str('Tags', { required: true });
  c.p.done();
  const d = device();
  const next = [...d.tags];
  for (const t of tags) {
    const at = next.findIndex((o) => sameKey(o.Key, t.Key));
    if (at >= 0) next[at] = t; else next.push(t);
  }
  if (next.length > TAGS_PER_DEVICE) throw new AwsError('LimitExceeded',
    `Cannot exceed quota for TagsPerMFADevice: ${TAGS_PER_DEVICE}`);
  d.tags = next;
  c.changed = true;
  return null;
};

/** Removes the named keys (case-insensitively); keys the device does not have are no error. */
const UntagMFADevice: Handler = (c) => {
  const device = taggedDevice(c);
  const keys: string[] = [];
  for (let i = 1; c.p.has(`TagKeys.member.${i}`); i++) keys.push(
    c.p.str(`TagKeys.member.${i}`, { min: 1, max: 128, pattern: P.tagKey })!);
  if (keys.length === 0 && !c.p.has('TagKeys')) c.p.str('TagKeys', { required: true });
  c.p.done();
  if (keys.length > TAGS_PER_DEVICE) {
    throw new AwsError('ValidationError',
      `1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must have length less ` +
      `than or equal to ${TAGS_PER_DEVICE}`);
  }
  const d = device();
  const kept = d.tags.filter((t) => !keys.some((k) => sameKey(k, t.Key)));
  if (kept.length !== d.tags.length) { d.tags = kept; c.changed = true; }
  return null;
};

export const IAM_MFA: Record<string, Handler> = {
  CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice, DeactivateMFADevice,
  DeleteVirtualMFADevice, ListVirtualMFADevices, ListMFADevices,
  ListMFADeviceTags, TagMFADevice, UntagMFADevice,
};
