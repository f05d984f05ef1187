// The host's public API (provision uses it): find the token, boot it, talk to it through its door.
import { join } from 'node:path';
import { boot, manufacture, FirmwareError } from '../firmware/index.js';
import { nodeCrypto } from '../firmware/node-crypto.js';
import { hostClock, type HostClock } from './clock.js';
import { HostError } from './errors.js';
import * as Y from './oath-client.js';
import { Channel } from './channel.js';
import { Token, type FirmwareDevice } from './token.js';

export { HostError, type HostCode } from './errors.js';
/** The firmware's atomic file replacement (temp, fsync, rename, fsync dir), for the host's users' secret files. */
export { appendDurable, writeAtomic } from '../firmware/atomic.js';
/** `mkdir -p` (0700) that fails fast where Node's recursive mkdirSync loops (firmware/dirs.ts). */
export { makeDirs } from '../firmware/dirs.js';
/** The firmware's writers' lock (`<path>.lock`, pid + start time, taken over from the dead) and its liveness rule, for the same. */
export { acquire as lockFile, processAlive } from '../firmware/lock.js';
export { Token, type CredentialInfo, type Code, type CodeOptions } from './token.js';
export type { Enrollment } from './enrollment.js';
export type { DeviceInfo } from './oath-client.js';


import { devicePath, stateDir } from './device-path.js';
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
export async function createToken(path: string, m: Manufacture = {}, clock: HostClock = hostClock()): Promise<{ serial: string }> {
  const id = await manufacture(path, { ...m, now: () => clock.now() });
  return { serial: id.serial };
}

const noDevice = (path: string) =>
  new HostError('E_NO_DEVICE', `no token at ${path}: run \`token init\` (or \`token enroll\`, which creates one), or pick one with --device / TOKEN_DEVICE`);

async function power(path: string, clock: HostClock, accessCode?: string, records = recordsDir()): Promise<FirmwareDevice & { identity: { serial: string } }> {
  try {
    return await boot({ path, now: () => clock.now(), sleep: (ms) => clock.sleep(ms), simulated: clock.simulated, records, ...(accessCode !== undefined ? { accessCode } : {}) });
  } catch (e) {
    if (e instanceof FirmwareError) {
      if (e.code === 'E_NO_DEVICE') throw noDevice(path);
      if (e.code === 'E_ACCESS') {
        throw new HostError('E_ACCESS', `wrong access code: ${e.triesLeft ?? '?'} ${e.triesLeft === 1 ? 'try' : 'tries'} left before the token wipes itself`);
      }
      if (e.code === 'E_WIPED') throw new HostError('E_WIPED', 'wrong access code, and that was the last try: the token has wiped every credential');
    }
    throw e;
  }
}

/**
 * Boots the token (its self-test runs first), SELECTs the OATH applet, and VALIDATEs when an
 * access code is set. Close it when done.
 * @example const t = await openToken({ device: devicePath() }); console.log((await t.code('aws')).code); await t.close();
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
  let dev = await power(path, clock, undefined, o.records);
  let session = new Channel(dev, o.trace);
  let sel: Y.Selected;
  try {
    sel = Y.parseSelect(await session.ok(Y.select()));
    if (sel.challenge && o.unlock !== false) {
      // Locked: find out how many tries are left before spending one, then power up with the code.
      const info = Y.parseInfo(await session.ok(Y.getInfo()));
      const given = o.accessCode ?? process.env.TOKEN_ACCESS_CODE;
      if (given === undefined) throw new HostError('E_LOCKED', `token ${dev.identity.serial} is locked by an access code: set TOKEN_ACCESS_CODE, or run on a terminal to be asked`);
      if (info.retries <= 1 && !(typeof o.allowLastTry === 'function' ? o.allowLastTry() : o.allowLastTry)) {
        throw new HostError('E_LAST_TRY', `token ${dev.identity.serial} has one access-code try left (a wrong one wipes it): enter the code on a terminal`);
      }
      const code = typeof given === 'function' ? await given() : given;
      await dev.close();
      dev = await power(path, clock, code, o.records);
      session = new Channel(dev, o.trace);
      sel = Y.parseSelect(await session.ok(Y.select()));
      if (sel.challenge) {
        const key = Y.deriveKey(code, sel.salt), mine = new Uint8Array(nodeCrypto().randomBytes(8));
        const a = await session.send(Y.validate(key, sel.challenge, mine));
        if (a.sw !== 0x9000) throw new HostError('E_ACCESS', 'the token refused the access code');
        if (!Y.checkValidate(a.data, key, mine)) throw new HostError('E_ACCESS', 'the token failed to prove it knows the access code (is it the right device?)');
      }
    }
  } catch (e) {
    await dev.close();
    throw e;
  }
  return new Token(dev, session, dev.identity.serial, sel.salt, clock);
}

export interface Card { readonly serial: string; transmit(apdu: Uint8Array): Promise<Uint8Array>; close(): Promise<void> }

/**
 * The bare APDU door for `token apdu`: SELECTed first unless `select` is false, unlocked only
 * when TOKEN_ACCESS_CODE is set (so VALIDATE can also be driven by hand).
 */
export async function openCard(o: { device: string; clock: HostClock; select: boolean; trace?: (line: string) => void }): Promise<Card> {
  const code = process.env.TOKEN_ACCESS_CODE;
  if (o.select) return openToken({ ...o, unlock: code !== undefined, ...(code !== undefined ? { accessCode: code } : {}) });
  const dev = await power(o.device, o.clock, code);
  const s = new Channel(dev, o.trace);
  return {
    serial: dev.identity.serial,
    async transmit(apdu) {
      const a = await s.exchange(apdu);
      const out = new Uint8Array(a.data.length + 2);
      out.set(a.data); out[a.data.length] = a.sw >> 8; out[a.data.length + 1] = a.sw & 0xff;
      return out;
    },
    close: async () => { await dev.close(); },
  };
}
