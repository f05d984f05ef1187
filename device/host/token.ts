// A booted token as the host sees it: every operation is APDUs through the door, or the
// button and display. Nothing here touches the store file.
import type { Algorithm } from '../core/index.js';
import type { HostClock } from '../../lib/clock.js';
import { checkEnrollment, checkNewId, matchOne, type Enrollment } from './enrollment.js';
import { HostError } from './errors.js';
import * as oath from './oath-client.js';
import { generic, type Channel } from './channel.js';
import { nodeCrypto } from '../../lib/builtin.js';
import type { Device, Frame } from '../firmware/index.js';
import { CAPACITY, parseId, ykmanOrder } from '../firmware/ykoath.js';

const malformed = (id: string, sw: number) =>
  new HostError('E_UNSUPPORTED', `the token refused the credential '${id}' as malformed (SW 6A80)`, sw);
const noSuch = (id: string, sw: number) => new HostError('E_NO_MATCH', `no credential named '${id}'`, sw);

/** The firmware's Device, as far as a Token uses it: its APDUs go through the Channel. */
export type FirmwareDevice = Pick<Device, 'panel' | 'healthy' | 'close'>;

export interface CredentialInfo {
  id: string; name: string; issuer?: string; type: 'totp' | 'hotp';
  algorithm: Algorithm; digits: number; period: number;
  touch: boolean;
}
/** `step` is the TOTP time step the code belongs to; -1 for HOTP (its counter lives in the device). */
export interface Code { id: string; code: string; step: number }
/** Two consecutive TOTP codes and their steps. */
export type Pair = [{ code: string; step: number }, { code: string; step: number }];
export interface CodeOptions {
  fresh?: boolean;
  /** Called while waiting for the next step (seconds left), e.g. for a countdown. */
  onWait?: (seconds: number) => void;
  /** Called before a touch credential waits for the button. */
  onTouch?: () => void;
}

/**
 * The shortest new access code: the store file alone lets a copier test codes offline at the
 * scrypt cost of each, so a 4-digit code falls in an hour; 6 characters make it days per core.
 */
export const MIN_ACCESS_CODE = 6;

/** A new or changed access code (E_USAGE); codes set before this rule still open their tokens. */
export function checkNewAccessCode(code: string): void {
  const n = [...code].length;
  if (n < MIN_ACCESS_CODE) {
    throw new HostError('E_USAGE', `the new access code is ${n} character${n === 1 ? '' : 's'}; ` +
      `use at least ${MIN_ACCESS_CODE} (a copy of the store file can be guessed at offline)`);
  }
}

export class Token {
  constructor(
    private readonly device: FirmwareDevice,
    private readonly channel: Channel,
    readonly serial: string,
    private salt: Uint8Array,
    private readonly clock: HostClock,
  ) {}

  // One operation at a time: callers that share a token (a batch N devices wide) would otherwise
  // interleave their APDU exchanges. Public methods queue; the private ones they call do not.
  private queue: Promise<unknown> = Promise.resolve();
  private op<T>(f: () => Promise<T>): Promise<T> {
    const r = this.queue.then(f, f);
    this.queue = r.catch(() => {});
    return r;
  }

  get healthy(): boolean { return this.device.healthy; }

  info(): Promise<oath.DeviceInfo> {
    return this.op(async () => oath.parseInfo(await this.channel.ok(oath.getInfo())));
  }

  /** Metadata only, from the vendor LIST DETAILS (YKOATH's LIST cannot tell an HOTP credential's touch flag). */
  list(): Promise<CredentialInfo[]> { return this.op(() => this.details()); }

  private async details(): Promise<CredentialInfo[]> {
    const all = oath.parseListDetails(await this.channel.ok(oath.listDetails())).map((l): CredentialInfo => {
      const p = parseId(l.id, l.type);
      return {
        id: l.id, name: p.name, ...(p.issuer ? { issuer: p.issuer } : {}), type: l.type, algorithm: l.algorithm,
        digits: l.digits, period: p.period, touch: l.touch,
      };
    });
    return ykmanOrder(all, (c) => c);
  }

  private async resolve(query: string): Promise<CredentialInfo> {
    const all = await this.details();
    const id = matchOne(all.map((c) => c.id), query);
    return all.find((c) => c.id === id)!;
  }

  enroll(e: Enrollment): Promise<{ id: string; warnings: string[] }> { return this.op(() => this.put(e)); }

  private async put(e: Enrollment): Promise<{ id: string; warnings: string[] }> {
    const { id, warnings } = checkEnrollment(e);
    const ids = oath.parseList(await this.channel.ok(oath.list())).map((l) => l.id);
    // YKOATH PUT overwrites a credential of the same id; names are unique here instead.
    if (ids.includes(id)) {
      throw new HostError('E_EXISTS',
        `a credential named '${id}' is already on the token (delete or rename it first, or pick --name)`);
    }
    if (ids.length >= CAPACITY) {
      throw new HostError('E_FULL', `the token is full (${CAPACITY} credentials); delete one first`);
    }
    const cred = {
      id, type: e.type, algorithm: e.algorithm, digits: e.digits, secret: e.secret,
      touch: !!e.touch, counter: e.counter,
    };
    await this.channel.ok(oath.put(cred), (sw) => sw === 0x6a80 ? malformed(id, sw) : generic(sw));
    return { id, warnings };
  }

  /**
   * PUTs and DELETEs in one vendor TRANSACTION: the device checks each as it comes and writes them
   * all in one store write at COMMIT, or none (a refusal, a lost power, another writer meanwhile).
   */
  atomically(steps: readonly { apdu: Uint8Array; id: string }[]): Promise<void> {
    return this.op(async () => {
      await this.channel.ok(oath.transaction('BEGIN'));
      try {
        for (const s of steps) {
          await this.channel.ok(s.apdu, (sw) => sw === 0x6a80 ? malformed(s.id, sw)
            : sw === 0x6984 ? noSuch(s.id, sw) : generic(sw));
        }
        await this.channel.ok(oath.transaction('COMMIT'), (sw) => sw === 0x6985
          ? new HostError('E_BUSY',
            'another program changed the token meanwhile; nothing was written, run it again', sw)
          : generic(sw));
      } catch (e) {
        await this.channel.send(oath.transaction('ABORT')).catch(() => {});
        throw e;
      }
    });
  }

  /** YKOATH CALCULATE: the TOTP code of `step`, or (null) the next HOTP code, which advances the counter. */
  calculate(id: string, step: number | null): Promise<string> {
    return this.op(async () => oath.parseCode(await this.channel.ok(oath.calculate(id, step))));
  }

  remove(id: string): Promise<void> {
    return this.op(async () => {
      await this.channel.ok(oath.remove(id), (sw) => sw === 0x6984 ? noSuch(id, sw) : generic(sw));
    });
  }

  rename(id: string, newId: string): Promise<void> { return this.op(() => this.renamed(id, newId)); }

  private async renamed(id: string, newId: string): Promise<void> {
    checkNewId(newId);
    const ids = oath.parseList(await this.channel.ok(oath.list())).map((l) => l.id);
    if (ids.includes(newId)) throw new HostError('E_EXISTS', `a credential named '${newId}' is already on the token`);
    await this.channel.ok(oath.rename(id, newId), (sw) => sw === 0x6984 ? noSuch(id, sw) : generic(sw));
  }

  /** The device's RTC, in Unix seconds (it drifts from the host's). */
  deviceTime(): Promise<number> { return this.op(() => this.rtc()); }

  private async rtc(): Promise<number> { return oath.parseClock(await this.channel.ok(oath.readClock())) / 1000; }

  setTime(force = false): Promise<{ before: number; after: number }> { return this.op(() => this.setRtc(force)); }

  private async setRtc(force: boolean): Promise<{ before: number; after: number }> {
    const before = await this.rtc(), to = Math.round(this.clock.now() * 1000);
    await this.channel.ok(oath.setTime(to, force), (sw) => sw === 0x6985
      ? new HostError('E_BACKWARDS', `the token's clock is ${(before - to / 1000).toFixed(1)} s ahead of the host; ` +
        'setting it back needs --force', sw)
      : generic(sw));
    return { before, after: await this.rtc() };
  }

  code(query: string, o: CodeOptions = {}): Promise<Code> {
    return this.op(async () => {
      const c = await this.resolve(query);
      if (c.touch) o.onTouch?.();
      return this.compute(c, o);
    });
  }

  private async compute(c: CredentialInfo, o: CodeOptions): Promise<Code> {
    const touchy = (sw: number) => sw === 0x6982 && c.touch
      ? new HostError('E_TOUCH', `'${c.id}' needs a button press within 15 s ` +
        '(run `token press`, or `token show` which presses too)', sw)
      : generic(sw);
    if (c.type === 'hotp') {
      return { id: c.id, code: oath.parseCode(await this.channel.ok(oath.calculate(c.id, null), touchy)), step: -1 };
    }
    if (!o.fresh) {
      const step = Math.floor((await this.rtc()) / c.period);
      return { id: c.id, code: oath.parseCode(await this.channel.ok(oath.calculate(c.id, step), touchy)), step };
    }
    for (;;) {
      const now = await this.rtc(), step = Math.floor(now / c.period);
      const a = await this.channel.send(oath.calculateOnce(c.id, step, this.clock.simulated));
      if (a.sw === 0x9000) return { id: c.id, code: oath.parseCode(a.data), step };
      if (a.sw !== 0x6985) throw touchy(a.sw);
      await this.waitFor((step + 1) * c.period, o.onWait);
    }
  }

  /**
   * Two consecutive steps, both recorded as handed out (AWS EnableMFADevice/ResyncMFADevice).
   * 'recent' = (T-1, T) now; 'next' = (S, S+1) for the first step S from T on that nobody has had,
   * computed once the device's clock has reached S. `onWait` hears each second of that wait, and S.
   */
  freshPair(
    id: string, mode: 'recent' | 'next', o: { onWait?: (seconds: number, step: number) => void } = {},
  ): Promise<Pair> {
    return this.op(() => this.pair(id, mode, o.onWait));
  }

  private async pair(
    id: string, mode: 'recent' | 'next', onWait?: (seconds: number, step: number) => void,
  ): Promise<Pair> {
    const c = await this.resolve(id);
    if (c.type !== 'totp') {
      throw new HostError('E_UNSUPPORTED', `'${c.id}' is HOTP; two consecutive TOTP codes need a TOTP credential`);
    }
    const T = Math.floor((await this.rtc()) / c.period);
    if (mode === 'recent') {
      // Both in one transaction: one store write records the pair as handed out.
      const r = await this.channel.send(oath.calculateOnce(c.id, T - 1, this.clock.simulated, true));
      if (r.sw === 0x6985) {
        throw new HostError('E_USED',
          `the codes of steps ${T - 1} and ${T} of '${c.id}' were already handed out; wait for the next step`);
      }
      if (r.sw !== 0x9000) throw generic(r.sw);
      const [a, b] = oath.parsePair(r.data);
      return [{ code: a, step: T - 1 }, { code: b, step: T }];
    }
    // The current step once it is one nobody has had, and the next: one transaction, one write.
    for (let s = T; ; s++) {
      const step = s;
      await this.waitFor(s * c.period, onWait && ((left) => onWait(left, step)));
      const r = await this.channel.send(oath.calculateOnce(c.id, s, this.clock.simulated, true));
      if (r.sw === 0x6985) continue;
      if (r.sw !== 0x9000) throw generic(r.sw);
      const [a, b] = oath.parsePair(r.data);
      return [{ code: a, step: s }, { code: b, step: s + 1 }];
    }
  }

  /** Sleeps on the host clock until the device's RTC reaches `t` (its drift is ppm-small). */
  private async waitFor(t: number, onWait?: (s: number) => void): Promise<void> {
    for (;;) {
      const left = t - (await this.rtc());
      if (left <= 0) return;
      onWait?.(Math.ceil(left));
      await this.clock.sleep(Math.min(1000, left * 1000 + 20));
    }
  }

  press(): Promise<void> { return this.op(() => this.device.panel.press()); }

  /** Presses the button and reads the LCD. The firmware writes no high-water step for it. */
  display(query?: string, o: { next?: boolean } = {}): Promise<Frame[]> {
    return this.op(async () => {
      if (!this.device.healthy) throw generic(0x6f00);
      return this.device.panel.display(query, o);
    });
  }

  reset(): Promise<void> {
    return this.op(async () => {
      await this.channel.ok(oath.reset());
      this.salt = oath.parseSelect(await this.channel.ok(oath.select())).salt;
    });
  }

  /** Sets or changes the access code (the device must be unlocked already when one is set). */
  setAccessCode(code: string): Promise<void> {
    return this.op(async () => {
      checkNewAccessCode(code);
      const key = oath.deriveKey(code, this.salt);
      await this.channel.ok(oath.setCode(key, new Uint8Array(nodeCrypto().randomBytes(8))));
    });
  }

  clearAccessCode(): Promise<void> { return this.op(async () => { await this.channel.ok(oath.clearCode()); }); }

  /** A raw exchange for `token apdu` (traced like any other). */
  transmit(apdu: Uint8Array): Promise<Uint8Array> { return this.op(() => this.channel.transmit(apdu)); }

  async close(): Promise<void> { await this.device.close(); }
}

