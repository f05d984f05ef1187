// `provision create`: one AWS virtual MFA device, from CreateVirtualMFADevice to a token that AWS
// accepts. Everything after step 1 is undone on failure (unless --keep), and the error says what was.
import { unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HostClock } from '../lib/clock.js';
import { makeDirs, writeAtomic } from '../lib/files.js';
import type { Token } from '../device/host/api.js';
import { readQr } from '../device/host/qr.js';
import { call, isAws, type Aws } from './aws.js';
import { bootstrap, decodeSeed } from './seed-check.js';
import { fsError, ProvisionError } from './errors.js';
import type { Io } from './context.js';
import { fitLabel, labelFor, updateMapping, AWS_ISSUER, SHORT_ISSUER, type Label } from './mapping.js';
import { submitPair } from './pair.js';

export interface CreateRequest {
  name: string;
  path?: string;
  user?: string;
  tags?: { Key: string; Value: string }[];
  /** A file for QRCodePNG (0600). */
  qrOut?: string;
  keep?: boolean;
}

export interface CreateResult {
  serialNumber: string;
  credential: string;
  userName: string | null;
  enabled: boolean;
  token: string;
  warnings: string[];
}

/**
 * The steps, in order. PROVISION_FAIL_AT=<step> (tests only) fails a step right after it did its
 * work, so the rollback has to undo that step's effect too.
 */
export const STEPS = ['create', 'seed', 'qr-out', 'qr', 'enroll', 'enable'] as const;
export type Step = (typeof STEPS)[number];

export interface CreateDeps {
  aws: Aws;
  token: Token;
  clock: HostClock;
  io: Io;
  account: string;
  mappingPath: string;
  failAt?: string;
  /** Narration hook (the demo). */
  onStep?: (step: Step, detail: Record<string, unknown>) => void;
}

interface Undo { undone: string; kept: string; run: () => unknown }

/** The failure that caused a rollback, with the cause's own code (E_AWS, E_FS, a token's E_FULL, ...). */
export class RolledBack extends ProvisionError {
  constructor(override readonly cause: Error, message: string, readonly undone: string[], readonly failed: string[]) {
    const code = (cause as { code?: unknown }).code;
    super(typeof code === 'string' && code.startsWith('E_') ? code as `E_${string}` : 'E_AWS', message,
      cause instanceof ProvisionError ? cause.exit : 1);
  }
}

export async function createOne(d: CreateDeps, r: CreateRequest): Promise<CreateResult> {
  const { aws, token, io } = d;
  // Before anything exists in IAM: the id rule (exit 2) and a free id on the token.
  const planned = labelFor(r.name, d.account);
  if ((await token.list()).some((c) => c.id === planned.id)) {
    throw new ProvisionError('E_EXISTS',
      `token ${token.serial} already holds '${planned.id}': remove it first (\`token delete '${planned.id}'\`), or ` +
      `pick another name`);
  }
  const inject = (s: Step) => {
    if (d.failAt === s) throw new ProvisionError('E_INJECTED',
      `injected failure after step '${s}' (PROVISION_FAIL_AT)`);
  };
  const undo: Undo[] = [];
  const warnings: string[] = [];

  // 1. CreateVirtualMFADevice
  // The serial AWS would give it: `mfa/` + the path without its leading slash + the name.
  const planSerial = `arn:aws:iam::${d.account}:mfa/${(r.path ?? '/').slice(1)}${r.name}`;
  const out = await call('CreateVirtualMFADevice', aws.iam.send(new aws.I.CreateVirtualMFADeviceCommand({
    VirtualMFADeviceName: r.name,
    ...(r.path ? { Path: r.path } : {}),
    ...(r.tags?.length ? { Tags: r.tags } : {}),
  })), { serial: planSerial, user: r.user });
  const dev = out.VirtualMFADevice;
  const serial = dev?.SerialNumber;
  if (!dev || !serial) throw new ProvisionError('E_AWS', 'CreateVirtualMFADevice returned no SerialNumber');
  undo.push({
    undone: `deleted IAM device ${serial}`, kept: `IAM device ${serial}`,
    run: () => call('DeleteVirtualMFADevice',
      aws.iam.send(new aws.I.DeleteVirtualMFADeviceCommand({ SerialNumber: serial })), { serial, user: r.user }),
  });
  let credential = '';
  let enabled = false;
  try {
    inject('create');
    d.onStep?.('create', {
      serial, seedChars: dev.Base32StringSeed?.length ?? 0, pngBytes: dev.QRCodePNG?.length ?? 0,
    });

    // 2. The seed: base32 ASCII of any length (AWS and moto 64, LocalStack 32).
    decodeSeed(dev.Base32StringSeed);
    inject('seed');

    // 3. QRCodePNG to --qr-out, 0600: it is the seed in another form.
    if (r.qrOut && dev.QRCodePNG?.length) {
      const file = r.qrOut;
      try { makeDirs(dirname(file)); await writeAtomic(file, dev.QRCodePNG); } catch (e) {
        throw fsError(e, `cannot write --qr-out ${file}`, 'pick a writable --qr-out, or leave it out');
      }
      undo.push({ undone: `deleted ${file}`, kept: `file ${file}`, run: () => unlinkSync(file) });
      inject('qr-out');
    }

    // 4. The QR, read by the token's hardened reader, must carry the same secret.
    const boot = await bootstrap(dev.Base32StringSeed, dev.QRCodePNG, readQr);
    for (const w of boot.warnings) { warnings.push(w); io.warn(`${r.name}: ${w}`); }
    inject('qr');
    d.onStep?.('qr', { label: boot.label ?? null });

    // 5. Enroll under the QR's label, or the planned one when there was no readable QR.
    let label: Label = planned;
    if (boot.label) {
      const fit = fitLabel(boot.label.account, boot.label.issuer ?? AWS_ISSUER);
      if (!fit) throw new ProvisionError('E_ID_TOO_LONG',
        `the QR's label '${boot.label.account}' does not fit the token's 64 bytes even as '${SHORT_ISSUER}:…'`, 1);
      label = fit;
    }
    if (label.shortened) io.warn(
      `${r.name}: '${AWS_ISSUER}:${label.account}' is over 64 bytes; the token calls it '${label.id}'`);
    const { id } = await token.enroll({
      account: label.account, issuer: label.issuer, secret: boot.secret,
      type: 'totp', algorithm: 'SHA1', digits: 6, period: 30, counter: 0,
    });
    credential = id;
    undo.push({ undone: `removed '${id}' from token ${token.serial}`,
      kept: `credential '${id}' on token ${token.serial}`, run: () => token.remove(id) });
    await updateMapping(d.mappingPath, (m) => {
      m[serial] = {
        token: token.serial, credential: id, name: r.name, account: d.account,
        ...(r.user ? { user: r.user } : {}), created: new Date(d.clock.now() * 1000).toISOString(),
      };
    });
    undo.push({ undone: '', kept: '', run: () => updateMapping(d.mappingPath, (m) => { delete m[serial]; }) });
    inject('enroll');
    d.onStep?.('enroll', { id, token: token.serial });

    // 6. EnableMFADevice with two consecutive codes, recorded by the token as handed out.
    if (r.user) {
      const user = r.user;
      const res = await submitPair(token, id, (c1, c2) =>
        call('EnableMFADevice', aws.iam.send(new aws.I.EnableMFADeviceCommand({
        UserName: user, SerialNumber: serial, AuthenticationCode1: c1, AuthenticationCode2: c2,
      })), { user, serial }), { clock: d.clock, io, refused: (e) => isAws(e, 'InvalidAuthenticationCode') });
      enabled = true;
      undo.push({
        undone: `deactivated it for ${user}`, kept: `enabled for ${user}`,
        run: () => call('DeactivateMFADevice', aws.iam.send(new aws.I.DeactivateMFADeviceCommand({ UserName: user,
          SerialNumber: serial })), { user, serial }),
      });
      inject('enable');
      d.onStep?.('enable', { user, steps: res.steps, retried: res.retried });
    }
  } catch (e) {
    throw await rollback(e as Error, undo, r.keep ?? false);
  }
  return { serialNumber: serial, credential, userName: r.user ?? null, enabled, token: token.serial, warnings };
}

/** Undoes newest first and says what was undone (or, with --keep, what was left in place). */
async function rollback(e: Error, undo: Undo[], keep: boolean): Promise<RolledBack> {
  const why = e.message.replace(/\s+/g, ' ');
  if (keep) {
    const kept = undo.map((u) => u.kept).filter(Boolean);
    return new RolledBack(e, `${why}; kept (--keep): ${kept.join(', ')}`, [], []);
  }
  const done: string[] = [], failed: string[] = [];
  for (const u of [...undo].reverse()) {
    try { await u.run(); if (u.undone) done.push(u.undone); } catch (x) {
      failed.push(`${u.kept || 'the mapping'} (${(x as Error).message.replace(/\s+/g, ' ')})`);
    }
  }
  return new RolledBack(e,
    `${why}; rolled back: ${done.length ? done.join(', ' +
    '') : 'nothing'}${failed.length ? `; could NOT undo: ${failed.join(', ')}` : ''}`, done, failed);
}
