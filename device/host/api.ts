// The host's public API (provision uses it): find the token, power it on, talk to it through its card.
import { join } from 'node:path';
import { boot, manufacture, FirmwareError, type Device } from '../firmware/index.js';
import { nodeCrypto } from '../../lib/builtin.js';
import { hostClock, type HostClock } from '../../lib/clock.js';
import { HostError } from './errors.js';
import * as oath from './oath-client.js';
import { Channel, generic, type Answer } from './channel.js';
import { devicePath, stateDir } from '../../lib/paths.js';
import { Token } from './token.js';

export { HostError, type HostCode } from './errors.js';
export { Token, type CredentialInfo, type Code, type CodeOptions } from './token.js';
export type { Enrollment } from './enrollment.js';
export type { DeviceInfo } from './oath-client.js';
export { devicePath };

/**
 * Where this host keeps each token's rollback record, whatever --device names: in the state
 * directory, apart from the stores, so copying an old store back is not enough to roll it back.
 */
export const recordsDir = (env: NodeJS.ProcessEnv = process.env): string => join(stateDir(env), 'generations');

export interface Manufacture { serial?: string; driftPpm?: number | 'random' }

export interface OpenOptions {
  device?: string;
  clock?: HostClock;
  /** The access code, or how to ask for it; asked only when the token has one. Default TOKEN_ACCESS_CODE. */
  accessCode?: string | (() => Promise<string>);
  /** Create the token when it does not exist yet (the first enroll does). */
  create?: boolean | Manufacture;
  /** Called once when `create` made a new token. */
  onCreate?: (serial: string, path: string) => void;
  trace?: (line: string) => void;
  /** false: leave a locked token locked (only SELECT, VALIDATE, RESET and GET INFO answer). Default true. */
  unlock?: boolean;
  /** Spend the last access-code try (only where a person typed the code). Default false. */
  allowLastTry?: boolean | (() => boolean);
  /** The rollback records' directory; default recordsDir() of this process's environment. */
  records?: string;
}

/** Makes a new token at `path` (FirmwareError E_EXISTS when one is there). */
export async function createToken(
  path: string, m: Manufacture = {}, clock: HostClock = hostClock(),
): Promise<{ serial: string }> {
  const id = await manufacture(path, { ...m, now: () => clock.now() });
  return { serial: id.serial };
}

/** What power-on needs: where the token is, the host clock, and how to come by its access code. */
export interface PowerOnOptions {
  device: string;
  clock: HostClock;
  records?: string;
  trace?: (line: string) => void;
  /** The access code, or how to ask for it; asked only when the token has one. */
  accessCode?: string | (() => Promise<string>);
  /** Spend the last access-code try (only where a person typed the code). Default false. */
  allowLastTry?: boolean | (() => boolean);
  /** false: leave a locked token locked. Default true. */
  unlock?: boolean;
  /**
   * Who speaks for the token. `attach` hands it to ykman, which needs the same code: its refusal
   * says so, and a wrong code keeps the firmware's own words.
   */
  for?: 'attach';
}

export interface Powered {
  dev: Device;
  /** The conversation that SELECTed OATH on the device as it now runs. */
  session: Channel;
  /** SELECT's answer (a device whose self-test failed answers 6F00). */
  selected: Answer;
  /** The access code the device was booted with, if it has one and it was given. */
  code?: string;
}

const noDevice = (path: string, attach: boolean) => new HostError('E_NO_DEVICE', attach
  ? `no token at ${path}: run \`token init\`, or pick one with --device / TOKEN_DEVICE`
  : `no token at ${path}: run \`token init\` (or \`token enroll\`, which creates one), `
    + 'or pick one with --device / TOKEN_DEVICE');

async function power(o: PowerOnOptions, accessCode?: string): Promise<Device> {
  try {
    return await boot({
      path: o.device, now: () => o.clock.now(), sleep: (ms) => o.clock.sleep(ms), simulated: o.clock.simulated,
      records: o.records ?? recordsDir(), ...(accessCode !== undefined ? { accessCode } : {}),
    });
  } catch (e) {
    if (e instanceof FirmwareError) {
      if (e.code === 'E_NO_DEVICE') throw noDevice(o.device, o.for === 'attach');
      if (o.for === 'attach') throw e;
      if (e.code === 'E_ACCESS') {
        const left = e.triesLeft ?? '?';
        throw new HostError('E_ACCESS',
          `wrong access code: ${left} ${left === 1 ? 'try' : 'tries'} left before the token wipes itself`);
      }
      if (e.code === 'E_WIPED') {
        throw new HostError('E_WIPED',
          'wrong access code, and that was the last try: the token has wiped every credential');
      }
    }
    throw e;
  }
}

/**
 * Power-on, the one way in: the device boots (its self-test first) and OATH is SELECTed. A token
 * with an access code is then asked for it, unless a person must type the last try, and booted
 * again with it: the code enters at power-on, where the firmware spends a try before it checks.
 */
export async function powerOn(o: PowerOnOptions): Promise<Powered> {
  let dev = await power(o);
  let code: string;
  try {
    const session = new Channel(dev.card, o.trace);
    const selected = await session.send(oath.select());
    if (selected.sw !== 0x9000 || o.unlock === false || !oath.parseSelect(selected.data).challenge) {
      return { dev, session, selected };
    }
    // Locked: find out how many tries are left before spending one.
    const info = oath.parseInfo(await session.ok(oath.getInfo()));
    const given = o.accessCode;
    if (given === undefined) {
      throw new HostError('E_LOCKED', `token ${dev.identity.serial} is locked by an access code: `
        + 'set TOKEN_ACCESS_CODE, or run on a terminal to be asked'
        + (o.for === 'attach' ? ' (ykman then needs the same code)' : ''));
    }
    if (info.retries <= 1 && !(typeof o.allowLastTry === 'function' ? o.allowLastTry() : o.allowLastTry)) {
      throw new HostError('E_LAST_TRY', `token ${dev.identity.serial} has one access-code try left `
        + '(a wrong one wipes it): enter the code on a terminal');
    }
    code = typeof given === 'function' ? await given() : given;
  } catch (e) {
    await dev.close();
    throw e;
  }
  await dev.close();
  dev = await power(o, code);
  try {
    const session = new Channel(dev.card, o.trace);
    return { dev, session, selected: await session.send(oath.select()), code };
  } catch (e) {
    await dev.close();
    throw e;
  }
}

/**
 * Boots the token (its self-test runs first), SELECTs the OATH applet, and VALIDATEs when an
 * access code is set. Close it when done.
 * @example
 * const t = await openToken({ device: devicePath() });
 * console.log((await t.code('aws')).code);
 * await t.close();
 */
export async function openToken(o: OpenOptions = {}): Promise<Token> {
  const path = o.device ?? devicePath();
  const clock = o.clock ?? hostClock();
  if (o.create) {
    try {
      const made = await createToken(path, o.create === true ? {} : o.create, clock);
      o.onCreate?.(made.serial, path);
    } catch (e) { if (!(e instanceof FirmwareError && e.code === 'E_EXISTS')) throw e; }
  }
  const given = o.accessCode ?? process.env.TOKEN_ACCESS_CODE;
  const { dev, session, selected, code } = await powerOn({
    device: path, clock, ...(o.records !== undefined ? { records: o.records } : {}),
    ...(o.trace ? { trace: o.trace } : {}), ...(given !== undefined ? { accessCode: given } : {}),
    ...(o.allowLastTry !== undefined ? { allowLastTry: o.allowLastTry } : {}),
    ...(o.unlock !== undefined ? { unlock: o.unlock } : {}),
  });
  let sel: oath.Selected;
  try {
    if (selected.sw !== 0x9000) throw generic(selected.sw);
    sel = oath.parseSelect(selected.data);
    if (code !== undefined && sel.challenge) {
      const key = oath.deriveKey(code, sel.salt), mine = new Uint8Array(nodeCrypto().randomBytes(8));
      const a = await session.send(oath.validate(key, sel.challenge, mine));
      if (a.sw !== 0x9000) throw new HostError('E_ACCESS', 'the token refused the access code');
      if (!oath.checkValidate(a.data, key, mine)) {
        throw new HostError('E_ACCESS', 'the token failed to prove it knows the access code (is it the right device?)');
      }
    }
  } catch (e) {
    await dev.close();
    throw e;
  }
  return new Token(dev, session, dev.identity.serial, sel.salt, clock);
}

export interface Card {
  readonly serial: string;
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * The bare card for `token apdu`: SELECTed first unless `select` is false, unlocked only
 * when TOKEN_ACCESS_CODE is set (so VALIDATE can also be driven by hand).
 */
export async function openCard(
  o: { device: string; clock: HostClock; select: boolean; trace?: (line: string) => void },
): Promise<Card> {
  const code = process.env.TOKEN_ACCESS_CODE;
  if (o.select) {
    return openToken({ ...o, unlock: code !== undefined, ...(code !== undefined ? { accessCode: code } : {}) });
  }
  const dev = await power({ device: o.device, clock: o.clock }, code);
  const s = new Channel(dev.card, o.trace);
  return {
    serial: dev.identity.serial,
    transmit: (apdu) => s.transmit(apdu),
    close: async () => { await dev.close(); },
  };
}
