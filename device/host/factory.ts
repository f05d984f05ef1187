// `token enroll FILE --device-dir DIR`: a vendor's PSKC batch burned as a factory line burns it, one
// token per device serial at DIR/<serial>.dev (provision's --device-dir names its stores the same
// way), each made with that serial, each burn verified. All or nothing across the batch: every token
// is planned before the first is made, no existing token is ever overwritten, and when a burn fails
// the tokens this run made are removed again.
import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirs } from '../../lib/files.js';
import { createToken } from './api.js';
import { burn, fits, plan, type Burned } from './burn.js';
import type { TokenCtx } from './context.js';
import type { Enrollment } from './enrollment.js';
import { HostError } from './errors.js';
import { packageName, type PskcOrigin } from './pskc-source.js';

export interface Device { serial: string; path: string; creds: Enrollment[] }
export interface Made { device: Device; burned: Burned[] }

/** The firmware's serial rule (printable ASCII, no spaces, 1 to 32), and a plain file name. */
const fileSerial = (s: string) => /^[\x21-\x7e]{1,32}$/.test(s) && !/[/\\]/.test(s) && !s.startsWith('.');

/** Groups a batch by serial (a device may carry several keys), refusing what cannot be made. */
export function devices(dir: string, creds: readonly Enrollment[], from: readonly (PskcOrigin | null)[]): Device[] {
  const bySerial = new Map<string, Device>();
  creds.forEach((c, i) => {
    const o = from[i]!;
    // Without a SerialNo, the Key Id stands for the device, as it does for --serial.
    const serial = o.serial ?? o.keyId;
    if (!fileSerial(serial)) {
      throw new HostError('E_INPUT', `${packageName({ packageIndex: o.keyPackage, id: o.keyId, serial })}: ` +
        'its serial cannot name a token (1 to 32 printable ASCII characters, no spaces, slashes or leading dot); ' +
        'nothing was enrolled');
    }
    const d = bySerial.get(serial) ?? { serial, path: join(dir, `${serial}.dev`), creds: [] };
    d.creds.push(c);
    bySerial.set(serial, d);
  });
  const all = [...bySerial.values()];
  const there = all.filter((d) => existsSync(d.path));
  if (there.length) {
    const names = there.slice(0, 5).map((d) => d.path).join(', ') +
      (there.length > 5 ? ` and ${there.length - 5} more` : '');
    throw new HostError('E_EXISTS', `${there.length === 1 ? 'a token is' : `${there.length} tokens are`} already at ` +
      `${names}; a token is never overwritten: nothing was enrolled (move ${there.length === 1 ? 'it' : 'them'} ` +
      'away, or pick one device with --serial)');
  }
  return all;
}

/** Checks every device's batch before any token is made. */
export function planAll(all: readonly Device[]): void {
  for (const d of all) {
    try { fits(plan(d.creds), []); } catch (e) {
      if (!(e instanceof HostError)) throw e;
      throw new HostError(e.code, `serial ${d.serial}: ${e.message}`, e.sw);
    }
  }
}

/** Makes and burns the (planned) tokens one by one; removes this run's tokens when one fails. */
export async function burnEach(
  ctx: TokenCtx, dir: string, all: readonly Device[], warn: (l: string) => void,
): Promise<Made[]> {
  const newDir = !existsSync(dir);
  try { makeDirs(dir); } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new HostError('E_INPUT', `cannot create --device-dir ${dir}: ${code}; ` +
      'pick a writable directory');
  }
  const made: Made[] = [], created: string[] = [];
  try {
    for (const d of all) {
      // Made here, not by open({create}): a token that appeared since the check is refused, not reused.
      await createToken(d.path, { serial: d.serial }, ctx.clock);
      created.push(d.path);
      ctx.err(`created token ${d.serial} at ${d.path}\n`);
      made.push({ device: d, burned: await burn(d.creds, { open: () => ctx.open({ device: d.path }), warn }) });
    }
  } catch (e) {
    for (const p of created) rmSync(p, { force: true });
    if (newDir) { try { if (!readdirSync(dir).length) rmdirSync(dir); } catch { /* left as it is */ } }
    const err = e instanceof HostError ? e : new HostError('E_INPUT', String((e as Error).message));
    const n = created.length;
    throw new HostError(err.code, `serial ${all[made.length]!.serial}: ${err.message}; ` +
      (n ? `the ${n === 1 ? 'token' : `${n} tokens`} this run made ${n === 1 ? 'was' : 'were'} removed, ` : '') +
      'nothing was enrolled', err.sw);
  }
  return made;
}
