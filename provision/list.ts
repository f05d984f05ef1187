// `provision list`: IAM's virtual MFA devices (every page) joined with the mapping and the token.
import type { CredentialInfo } from '../device/host/api.js';
import { call } from './aws.js';
import type { ProvisionCtx } from './context.js';
import { readMapping, type Mapping } from './mapping.js';

/**
 * on-token: the attached token holds the mapped credential; renamed: it holds one credential for the
 * same NAME@ACCOUNT under another id; gone: the mapped credential is not there; other-token: burned
 * into another token; unmapped: provision did not burn it (or forgot).
 */
export type Holding = 'on-token' | 'renamed' | 'gone' | 'other-token' | 'unmapped';

export interface Row {
  serialNumber: string;
  assigned: boolean;
  userName: string | null;
  enableDate: string | null;
  credential: string | null;
  token: string | null;
  holding: Holding;
  /** For 'renamed': the id the token knows it by now. */
  renamedTo?: string;
}

export interface TokenView { serial: string; credentials: Pick<CredentialInfo, 'id'>[] }

export async function listDevices(ctx: ProvisionCtx, token: TokenView | null): Promise<Row[]> {
  const { aws } = ctx;
  const devices: { SerialNumber?: string; User?: { UserName?: string }; EnableDate?: Date }[] = [];
  let marker: string | undefined;
  do {
    const page = await call('ListVirtualMFADevices',
      aws.iam.send(new aws.I.ListVirtualMFADevicesCommand({ ...(marker ? { Marker: marker } : {}) })));
    devices.push(...(page.VirtualMFADevices ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return joinRows(devices, readMapping(ctx.mappingPath), token);
}

export function joinRows(devices: { SerialNumber?: string; User?: { UserName?: string }; EnableDate?: Date }[],
  map: Mapping, token: TokenView | null): Row[] {
  const ids = new Set(token?.credentials.map((c) => c.id) ?? []);
  const claimed = new Set(Object.values(map).filter((e) => e.token === token?.serial).map((e) => e.credential));
  return devices.filter((d) => d.SerialNumber).map((d) => {
    const serial = d.SerialNumber!;
    const e = map[serial];
    const row: Row = {
      serialNumber: serial,
      assigned: !!d.User?.UserName,
      userName: d.User?.UserName ?? null,
      enableDate: d.EnableDate ? d.EnableDate.toISOString() : null,
      credential: e?.credential ?? null,
      token: e?.token ?? null,
      holding: 'unmapped',
    };
    if (!e) return row;
    // Without the mapped token attached nothing can be said about the credential itself.
    if (!token || e.token !== token.serial) { row.holding = 'other-token'; return row; }
    if (ids.has(e.credential)) { row.holding = 'on-token'; return row; }
    // A rename keeps the account part `NAME@ACCOUNT` (or at least NAME); a lone unclaimed match is it.
    const tail = e.credential.slice(e.credential.indexOf(':') + 1);
    const cands = [...ids].filter((id) => !claimed.has(id) && (id.endsWith(tail) || id.includes(e.name)));
    if (cands.length === 1) { row.holding = 'renamed'; row.renamedTo = cands[0]!; }
    else row.holding = 'gone';
    return row;
  });
}

export function formatRows(rows: Row[]): string[] {
  if (rows.length === 0) return [];
  const cells = rows.map((r) => [
    r.serialNumber,
    r.assigned ? r.userName! : '(unassigned)',
    r.holding === 'on-token' ? r.credential!
      : r.holding === 'renamed' ? `RENAMED to '${r.renamedTo}' (was '${r.credential}')`
      : r.holding === 'gone' ? `GONE from token ${r.token} (was '${r.credential}')`
      : r.holding === 'other-token' ? `on token ${r.token} ('${r.credential}')`
      : '-',
  ]);
  const head = ['SERIAL', 'USER', 'TOKEN CREDENTIAL'];
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i < c.length - 1 ? x.padEnd(w[i]!) : x)).join('  ');
  return [line(head), ...cells.map(line)];
}
