// `provision remove`: deactivate (when assigned), delete the IAM device, remove the token credential.
// Without --user, an assigned device's user is looked up (ListVirtualMFADevices names it).
import { call, isAws } from './aws.js';
import type { ProvisionCtx } from './context.js';
import { ProvisionError } from './errors.js';
import { readMapping, updateMapping } from './mapping.js';

export interface RemoveRequest { serial: string; user?: string; credential?: string }
export interface RemoveOutcome {
  serialNumber: string;
  deactivated: string | null;
  deleted: boolean;
  credential: string | null;
  token: string | null;
  notes: string[];
}

/** The user a virtual MFA device is enabled for, from ListVirtualMFADevices (Assigned, all pages). */
export async function assignedUser(ctx: ProvisionCtx, serial: string): Promise<string | null> {
  const { aws } = ctx;
  let marker: string | undefined;
  do {
    const page = await call('ListVirtualMFADevices', aws.iam.send(new aws.I.ListVirtualMFADevicesCommand({
      AssignmentStatus: 'Assigned', ...(marker ? { Marker: marker } : {}),
    })));
    const d = page.VirtualMFADevices?.find((x) => x.SerialNumber === serial);
    if (d) return d.User?.UserName ?? null;
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return null;
}

export async function removeDevice(ctx: ProvisionCtx, r: RemoveRequest): Promise<RemoveOutcome> {
  const { aws } = ctx;
  const notes: string[] = [];
  let deactivated: string | null = null;
  const deactivate = async (user: string) => {
    try {
      await call('DeactivateMFADevice', aws.iam.send(new aws.I.DeactivateMFADeviceCommand({ UserName: user,
        SerialNumber: r.serial })), { user, serial: r.serial });
      deactivated = user;
    } catch (e) {
      // Not assigned (any more) is fine: the goal is a deleted device.
      if (!isAws(e, 'NoSuchEntity')) throw e;
      notes.push(`it was not active for ${user}`);
    }
  };
  const del = () => call('DeleteVirtualMFADevice', aws.iam.send(new aws.I.DeleteVirtualMFADeviceCommand({
    SerialNumber: r.serial })), { serial: r.serial, user: r.user });
  if (r.user) await deactivate(r.user);
  let deleted = true;
  try {
    try { await del(); } catch (e) {
      // Assigned, and no --user: IAM's list says to whom; deactivate it for them and delete again.
      if (r.user || !isAws(e, 'DeleteConflict')) throw e;
      const user = await assignedUser(ctx, r.serial);
      if (!user) throw e;
      await deactivate(user);
      await del();
    }
  } catch (e) {
    if (!isAws(e, 'NoSuchEntity')) throw e;
    deleted = false;
    notes.push('IAM had no such device');
  }
  const entry = readMapping(ctx.mappingPath)[r.serial];
  // A serial nobody knows is a typo, not a done job: say so before touching the token.
  if (!deleted && !deactivated && !entry) {
    throw new ProvisionError('E_NOT_FOUND',
      `no device ${r.serial}: IAM has none and ${ctx.mappingPath} has no record of it (see provision list)`);
  }
  // The token side: the mapped credential (or --credential), if it is on the attached token.
  const id = r.credential ?? entry?.credential;
  let credential: string | null = null, tokenSerial: string | null = null;
  let token: Awaited<ReturnType<ProvisionCtx['token']>> | undefined;
  if (id) {
    try { token = await ctx.token(false); } catch (e) {
      // IAM's side is done; a missing token must not leave the mapping pointing at a dead serial.
      if ((e as { code?: string }).code !== 'E_NO_DEVICE') throw e;
      notes.push(
        `no token attached (${(e as Error).message.split(':')[0]}): '${id}' left on token ${entry?.token ?? '?'}`);
    }
  }
  if (id && token) {
    if (entry && !r.credential && entry.token !== token.serial) {
      notes.push(`its credential '${id}' is on token ${entry.token}, not the attached ${token.serial}: left there`);
    } else if (!(await token.list()).some((c) => c.id === id)) {
      notes.push(`token ${token.serial} no longer holds '${id}'`);
    } else {
      await token.remove(id);
      credential = id; tokenSerial = token.serial;
    }
  } else if (!id) {
    notes.push('no token credential on record for it');
  }
  if (entry) await updateMapping(ctx.mappingPath, (m) => { delete m[r.serial]; });
  return { serialNumber: r.serial, deactivated, deleted, credential, token: tokenSerial, notes };
}
