// The token: power-on (self-test, store, access code) and its two faces: the card (APDUs, for
// any host) and the panel (the button and the LCD, for the person).
import { nodeCrypto } from '../../lib/builtin.js';
import { concat, MAX_DATA, parseCommand, reply, status, SW, SwError, type Command } from './apdu.js';
import { unlockAtBoot, wipeIfSpent } from './access.js';
import { FirmwareError } from './errors.js';
import { management, selectManagement } from './management.js';
import { oath } from './oath.js';
import { ERR_FRAME, frames, press, type DisplayOptions, type Frame } from './panel.js';
import { defaultHash, selfTest, type HashFn } from './power-on-test.js';
import type { Ctx } from './ram.js';
import { checkPpm } from './rtc.js';
import { createStore, MAX_RETRIES, readStore, type Identity, type State } from './store.js';
import { isSerial } from './validate.js';
import { vendor } from './vendor.js';
import { AID as OATH_AID, INS, MANAGEMENT_AID } from './ykoath.js';

export const MODEL = 'FOB-1';
/** Also YKOATH's version: 5.7.1 is the 64-credential generation, past every ykman gate. */
export const FIRMWARE = '5.7.1';
const CHUNK = 255;
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

export interface ManufactureOptions {
  serial?: string;
  driftPpm?: number | 'random';
  /** Host time, Unix seconds: sets the RTC and the manufacture date. */
  now: () => number;
}

export interface BootOptions {
  path: string;
  now: () => number;
  /** Waits host time (a touch waits up to 15 s); defaults to a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** The host clock is simulated (TOTP_FOB_NOW): no high-water step is written. */
  simulated?: boolean;
  accessCode?: string;
  /**
   * Where the rollback records live (the host's state directory): a store older than its record
   * is refused. Omitted: no rollback check.
   */
  records?: string | null;
  /** Test hook: the HMAC engine, to prove the self-test catches a broken one. */
  kat?: HashFn;
}

/** The face for any host: ISO 7816 APDUs (YKOATH, Management, and the vendor's CLA 80). */
export interface Card {
  /** One APDU in, data ‖ SW1 SW2 out. Never throws; commands run one at a time. */
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
}

/**
 * The face for the person: a button and an LCD. Not an APDU, because a touch credential's press
 * must come from someone at the device, not from the host that asks for the code.
 */
export interface Panel {
  press(): Promise<void>;
  /** Presses, then reads the LCD. `next: false` leaves the second line (the next step's code) blank. */
  display(query?: string, o?: DisplayOptions): Promise<Frame[]>;
}

export interface Device {
  readonly identity: Identity;
  /** False after a failed self-test: every APDU then answers 6F00 and the LCD shows Err. */
  readonly healthy: boolean;
  readonly card: Card;
  readonly panel: Panel;
  close(): Promise<void>;
}

export async function manufacture(path: string, o: ManufactureOptions): Promise<Identity> {
  const serial = o.serial ?? `FOB${nodeCrypto().randomInt(10_000_000, 100_000_000)}`;
  if (!isSerial(serial)) {
    throw new FirmwareError('E_SERIAL',
      `serial must be 1 to 32 printable ASCII characters without spaces, got '${serial}'`);
  }
  const nowMs = Math.round(o.now() * 1000);
  const identity: Identity = {
    serial, model: MODEL, firmware: FIRMWARE, manufactured: nowMs, driftPpm: checkPpm(o.driftPpm),
    uid: nodeCrypto().randomBytes(16).toString('hex'),
  };
  const s: State = {
    identity,
    salt: nodeCrypto().randomBytes(8).toString('hex'),
    clock: { setMs: nowMs, hostMs: nowMs },
    access: { kcv: null, sealSalt: nodeCrypto().randomBytes(16).toString('hex'), retries: MAX_RETRIES },
    credentials: [],
  };
  await createStore(path, s);
  return identity;
}

/** Power-on: the self-test first, then the store, then the access code if one is given. */
export async function boot(o: BootOptions): Promise<Device> {
  const hash = o.kat ?? defaultHash;
  const healthy = selfTest(hash);
  const records = o.records ?? null;
  const s = readStore(o.path, records);
  const ctx: Ctx = {
    path: o.path, now: o.now, hash, simulated: o.simulated ?? false, records,
    sleep: o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    key: null, seal: null, session: { challenge: null, authed: false },
  };
  if (healthy) await wipeIfSpent(ctx, s);
  if (healthy && o.accessCode !== undefined) await unlockAtBoot(ctx, s, o.accessCode);
  return new Fob(ctx, s.identity, healthy);
}

class Fob implements Device {
  private queue: Promise<unknown> = Promise.resolve();
  /** Response bytes still to fetch with SEND REMAINING. */
  private pending: Uint8Array | null = null;
  /** Command chaining (CLA 10): the data so far and the header it belongs to. */
  private chain: { ins: number; p1: number; p2: number; data: Uint8Array } | null = null;
  private closed = false;
  /** The CLA 00 applet the latest successful SELECT chose; YKOATH from power-on. */
  private applet: 'oath' | 'management' = 'oath';

  readonly card: Card = { transmit: (apdu) => this.transmit(apdu) };
  readonly panel: Panel = { press: () => this.press(), display: (query, o) => this.display(query, o) };

  constructor(private readonly ctx: Ctx, readonly identity: Identity, readonly healthy: boolean) {}

  private transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const run = this.queue.then(() => this.handle(apdu));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async handle(apdu: Uint8Array): Promise<Uint8Array> {
    try {
      if (this.closed || !this.healthy) return status(SW.FAILED);
      return await this.dispatch(apdu);
    } catch (e) {
      if (e instanceof SwError) return status(e.sw);
      if (e instanceof FirmwareError && e.sw !== undefined) return status(e.sw);
      return status(SW.FAILED);
    }
  }

  private async dispatch(apdu: Uint8Array): Promise<Uint8Array> {
    let cmd = parseCommand(apdu);
    if (cmd.cla === 0x00 && cmd.ins === INS.SEND_REMAINING) {
      if (!this.pending) throw new SwError(SW.CONDITIONS);
      return this.chunk(this.pending);
    }
    this.pending = null;
    if (cmd.cla === 0x10) {
      // ykman chains data over 255 bytes: every link but the last has CLA|10 and gets 9000.
      const prev = this.chain && this.chain.ins === cmd.ins ? this.chain.data : new Uint8Array(0);
      this.chain = null;
      if (prev.length + cmd.data.length > MAX_DATA) throw new SwError(SW.WRONG_LENGTH);
      this.chain = { ins: cmd.ins, p1: cmd.p1, p2: cmd.p2, data: concat([prev, cmd.data]) };
      return status(SW.OK);
    }
    if (this.chain && cmd.cla === 0x00 && this.chain.ins === cmd.ins) {
      const data = concat([this.chain.data, cmd.data]);
      if (data.length > MAX_DATA) { this.chain = null; throw new SwError(SW.WRONG_LENGTH); }
      cmd = { ...cmd, data };
    }
    this.chain = null;
    const data = cmd.cla === 0x00 ? await this.applets(cmd)
      : cmd.cla === 0x80 ? await vendor(this.ctx, cmd)
        : (() => { throw new SwError(SW.UNKNOWN_CLA); })();
    return this.chunk(data);
  }

  /** SELECT (A4 P1=04) picks the applet; a failed one (6A82) leaves the selection as it was. */
  private async applets(cmd: Command): Promise<Uint8Array> {
    if (cmd.ins === INS.SELECT_OR_CALCULATE_ALL && cmd.p1 === 0x04) {
      if (same(cmd.data, MANAGEMENT_AID)) {
        this.applet = 'management';
        return selectManagement(this.identity);
      }
      const data = await oath(this.ctx, cmd);
      if (same(cmd.data, OATH_AID)) this.applet = 'oath';
      return data;
    }
    return this.applet === 'management' ? management(this.ctx, cmd) : oath(this.ctx, cmd);
  }

  /** Replies stay within 255 data bytes; 61xx says how much is left (00: 256 or more). */
  private chunk(data: Uint8Array): Uint8Array {
    if (data.length <= CHUNK) { this.pending = null; return reply(data); }
    this.pending = data.slice(CHUNK);
    return reply(data.subarray(0, CHUNK), SW.MORE | (this.pending.length > 0xff ? 0 : this.pending.length));
  }

  private async press(): Promise<void> {
    if (this.closed) throw new FirmwareError('E_CLOSED', 'the device is closed: boot it again');
    press(this.ctx.path, this.ctx.now() * 1000);
  }

  private async display(query?: string, o: DisplayOptions = {}): Promise<Frame[]> {
    await this.press();
    if (!this.healthy) return [{ ...ERR_FRAME }];
    return frames(this.ctx, query, o);
  }

  async close(): Promise<void> {
    await this.queue;
    this.closed = true;
    this.ctx.key?.fill(0);
    this.ctx.key = null;
    this.ctx.seal = null;
    this.ctx.txn = null;
  }
}
