// `token attach`, the smart-card bridge: the firmware as the card in a vsmartcard vpcd reader, so
// pcscd and anything on top of it (ykman) drive the same store the `token` CLI does.
//
// The vpcd wire protocol, card side: vpcd (a pcscd reader driver) listens, the card dials in, and
// both directions carry frames of a 2-byte big-endian length then the payload (vsmartcard
// doc/api.md; src/vpcd/vpcd.c sendToVICC/recvFromVICC). A 1-byte payload is a control byte;
// anything longer is a command APDU.
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Door } from './channel.js';
import type { Device } from '../firmware/index.js';
import { acquireSync, LockBusyError } from '../../lib/lock.js';
import { powerOn } from './api.js';
import { hex } from './oath-client.js';
import type { HostClock } from '../../lib/clock.js';

export type { Door };

/** "Yubico YubiKey 5 NFC (PKI)" over USB CCID (pcsc-tools smartcard_list.txt). ATR[1]=FD makes
 * ykman pick the USB transport (ykman/pcsc `ScardSmartCardConnection`); it offers T=1, valid TCK. */
export const YUBIKEY5_ATR = Uint8Array.from([
  0x3b, 0xfd, 0x13, 0x00, 0x00, 0x81, 0x31, 0xfe, 0x15, 0x80, 0x73, 0xc0,
  0x21, 0xc0, 0x57, 0x59, 0x75, 0x62, 0x69, 0x4b, 0x65, 0x79, 0x40,
]);

export const CTRL = { OFF: 0, ON: 1, RESET: 2, ATR: 4 } as const;
export type Control = 'off' | 'on' | 'reset';


export function frame(payload: Uint8Array): Buffer {
  if (payload.length > 0xffff) throw new RangeError(`vpcd frame too long: ${payload.length} bytes`);
  const b = Buffer.alloc(2 + payload.length);
  b.writeUInt16BE(payload.length, 0);
  b.set(payload, 2);
  return b;
}

/** Reassembles frames from TCP chunks, which may split or join them anywhere. */
export class FrameReader {
  private buf = Buffer.alloc(0);
  push(chunk: Uint8Array): Uint8Array[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    const out: Uint8Array[] = [];
    while (this.buf.length >= 2) {
      const n = this.buf.readUInt16BE(0);
      if (this.buf.length < 2 + n) break;
      out.push(Uint8Array.prototype.slice.call(this.buf, 2, 2 + n));
      this.buf = this.buf.subarray(2 + n);
    }
    return out;
  }
}

export interface ServeOptions {
  atr?: Uint8Array;
  /** Power events: a real card loses its session state on off/reset. */
  onControl?: (c: Control) => void;
  /** One line per exchange, hex, for debugging (never includes anything but APDU bytes). */
  trace?: (line: string) => void;
}


/**
 * Serves one vpcd connection until it ends: answers 04 with the ATR, nothing for 00/01/02
 * (vpcd reads no reply to those), and every APDU with the card's response. Messages are
 * handled strictly in order, as vpcd expects one reply per request (vpcd.c vicc_transmit).
 * Resolves when the socket closes; rejects on a socket error.
 */
export function serve(socket: Duplex, card: Door, o: ServeOptions = {}): Promise<void> {
  const atr = o.atr ?? YUBIKEY5_ATR;
  const reader = new FrameReader();
  let chain = Promise.resolve();
  const handle = async (msg: Uint8Array) => {
    if (msg.length === 0) return;
    if (msg.length === 1) {
      const c = msg[0];
      if (c === CTRL.ATR) { socket.write(frame(atr)); return; }
      const ev: Control | undefined =
        c === CTRL.OFF ? 'off' : c === CTRL.ON ? 'on' : c === CTRL.RESET ? 'reset' : undefined;
      o.trace?.(`ctl ${ev ?? hex(msg)}`);
      if (ev) o.onControl?.(ev);
      return;
    }
    // transmit() never throws by contract; if it does anyway, the card answers 6F00
    // ("no precise diagnosis") rather than dropping the line, which would eject it.
    const rsp = await card.transmit(msg).catch(() => Uint8Array.of(0x6f, 0x00));
    o.trace?.(`> ${hex(msg)}\n< ${hex(rsp)}`);
    // An empty reply would make vpcd eject the card (vpcd.c vicc_transmit); never send one.
    if (!socket.destroyed) socket.write(frame(rsp.length >= 2 ? rsp : Uint8Array.of(0x6f, 0x00)));
  };
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve();
    socket.on('data', (chunk: Buffer) => {
      for (const msg of reader.push(chunk)) {
        chain = chain.then(() => handle(msg)).catch((e) => { socket.destroy(e as Error); });
      }
    });
    socket.once('error', reject);
    socket.once('close', () => resolve());
  });
}

export const DEFAULT_VPCD = { host: '127.0.0.1', port: 35963 } as const;
const RETRY_MS = 30_000;

export type AttachCode = 'E_ATTACHED' | 'E_VPCD_LOST' | 'E_VPCD_ADDRESS';
export class AttachError extends Error {
  readonly code: AttachCode;
  constructor(code: AttachCode, message: string) { super(message); this.name = 'AttachError'; this.code = code; }
}

export interface AttachIo {
  /** Progress lines (attached, lost, retrying); the CLI decides where they go. */
  info(line: string): void;
  /** Stops serving, like SIGINT/SIGTERM (which attach also listens for). */
  signal?: AbortSignal;
  /** APDU hex trace, for debugging interop. */
  trace?: (line: string) => void;
}

export interface AttachOptions {
  device: string;
  vpcd: { host: string; port: number };
  clock: HostClock;
  /** The access code, or how to ask for it: asked only when the token has one (as openToken). */
  accessCode?: string | (() => Promise<string>);
  /** Spend the last access-code try (only where a person typed the code). Default false. */
  allowLastTry?: boolean;
  io: AttachIo;
  /** How long a lost (or never made) connection is retried; 30 s by the issue. */
  retryMs?: number;
}

/** "HOST:PORT", "[v6]:PORT" or ":PORT"/"PORT" (host 127.0.0.1). */
export function parseVpcdAddress(s: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*))?:?(\d+)$/.exec(s.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port > 0 && port < 65536)) {
    throw new AttachError('E_VPCD_ADDRESS', `cannot read vpcd address '${s}': use HOST:PORT, e.g. 127.0.0.1:35963`);
  }
  return { host: m[1] ?? (m[2] || DEFAULT_VPCD.host), port };
}

/**
 * Serves the device at `device` as the card in vpcd until SIGINT/SIGTERM (or io.signal),
 * then resolves 0. Throws AttachError E_ATTACHED (another attach holds the store) or
 * E_VPCD_LOST (no connection for retryMs), HostError E_LOCKED / E_LAST_TRY, or the
 * firmware's boot errors (E_NO_DEVICE, E_ACCESS with triesLeft, E_WIPED, ...).
 */
export async function attach(o: AttachOptions): Promise<number> {
  const addr = `${o.vpcd.host.includes(':') ? `[${o.vpcd.host}]` : o.vpcd.host}:${o.vpcd.port}`;
  const lock = takeAttachLock(o.device);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (o.io.signal?.aborted) stop.abort();
  o.io.signal?.addEventListener('abort', onSignal, { once: true });
  try {
    const dev = await powerUp(o);
    try {
      await serveLoop(dev, o, addr, stop.signal);
      return 0;
    } finally {
      await dev.close();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    o.io.signal?.removeEventListener('abort', onSignal);
    lock.release();
  }
}

/**
 * Boots like any host process (self-test, store), and with the access code when the token has
 * one: ykman VALIDATEs against K, which the device holds only when booted with the code.
 */
async function powerUp(o: AttachOptions): Promise<Device> {
  const { dev } = await powerOn({
    device: o.device, clock: o.clock, for: 'attach',
    ...(o.accessCode !== undefined ? { accessCode: o.accessCode } : {}),
    ...(o.allowLastTry !== undefined ? { allowLastTry: o.allowLastTry } : {}),
  });
  return dev;
}

async function serveLoop(dev: Device, o: AttachOptions, addr: string, stop: AbortSignal): Promise<void> {
  const retryMs = o.retryMs ?? RETRY_MS;
  let since = Date.now();
  let connected = false;
  while (!stop.aborted) {
    const sock = await dial(o.vpcd.host, o.vpcd.port, stop);
    if (sock && stop.aborted) { sock.destroy(); break; }
    if (sock) {
      const opened = Date.now();
      let served = false;
      if (!connected) o.io.info(`attached: the token is the card in vpcd at ${addr} (Ctrl-C to detach)`);
      connected = true;
      const onStop = () => sock.destroy();
      stop.addEventListener('abort', onStop, { once: true });
      await serve(sock, { transmit: (apdu) => { served = true; return dev.card.transmit(apdu); } }, {
        onControl: (c: Control) => { if (c !== 'on') powerCycle(dev); },
        trace: o.io.trace,
      }).catch(() => undefined);
      stop.removeEventListener('abort', onStop);
      if (stop.aborted) break;
      // A connection that carried an APDU or lasted (pcscd polls the ATR every 0.4 s) restarts
      // the 30 s; one that vpcd drops at once does not, or a refusal would loop forever.
      if (served || Date.now() - opened > 2000) {
        since = Date.now();
        o.io.info(`lost vpcd at ${addr}; retrying for ${Math.round(retryMs / 1000)} s`);
      }
      connected = false;
    }
    if (Date.now() - since >= retryMs) {
      throw new AttachError('E_VPCD_LOST', `no connection to vpcd at ${addr} for ${Math.round(retryMs / 1000)} s: `
        + 'is pcscd running with a vpcd reader on that port?');
    }
    await delay(Math.min(500, retryMs), stop);
  }
}

// SELECT OATH, whose answer is dropped. A card loses its session (a VALIDATE) on power-off
// and reset; the firmware has no power line, but a SELECT clears the session just the same.
const SELECT_OATH = Uint8Array.of(0x00, 0xa4, 0x04, 0x00, 0x07, 0xa0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01);

function powerCycle(dev: Device): void {
  void dev.card.transmit(SELECT_OATH);
}

/** A connected socket, or null when vpcd is not there (or we are told to stop meanwhile). */
function dial(host: string, port: number, stop: AbortSignal): Promise<Socket | null> {
  return new Promise((resolve) => {
    if (stop.aborted) return resolve(null);
    const s = connect({ host, port });
    const fail = () => { stop.removeEventListener('abort', fail); s.destroy(); resolve(null); };
    stop.addEventListener('abort', fail, { once: true });
    s.setTimeout(5000, fail);
    s.once('error', fail);
    s.once('connect', () => {
      stop.removeEventListener('abort', fail);
      s.setTimeout(0);
      s.removeListener('error', fail);
      s.setNoDelay(true);
      resolve(s);
    });
  });
}

const delay = (ms: number, stop: AbortSignal) => new Promise<void>((r) => {
  const t = setTimeout(done, ms);
  stop.addEventListener('abort', done, { once: true });
  function done() { clearTimeout(t); stop.removeEventListener('abort', done); r(); }
});

// The attach lock: one attach per store, `<store>.attach` (the house's one lock, taken over from
// the dead). Other `token` commands do not look at it: the firmware's own store lock serialises writers.

export function attachLockPath(device: string): string { return `${device}.attach`; }

function takeAttachLock(device: string): { release(): void } {
  try {
    const l = acquireSync(attachLockPath(device), { role: 'token attach' });
    return { release: () => l.releaseSync() };
  } catch (e) {
    // No such directory: no such store either; boot() says so in its own words.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { release() {} };
    if (!(e instanceof LockBusyError)) throw e;
    if (!e.holder) throw new AttachError('E_ATTACHED', 'another attach is starting on this token; try again');
    throw new AttachError('E_ATTACHED',
      `this token is already attached (pid ${e.holder.pid}); stop that 'token attach' first`);
  }
}
