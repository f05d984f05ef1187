// `token attach`: the firmware as the card in a vsmartcard vpcd reader, so pcscd and
// anything on top of it (ykman) drive the same store the `token` CLI does.
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { Device } from '../firmware/index.js';
import { processAlive } from '../firmware/lock.js';
import { powerOn } from './api.js';
import type { HostClock } from './clock.js';
import { serve, type Control } from './vpcd.js';

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

// The attach lock: one attach per store. It holds pid + process start time, so a lock
// left by a dead process (or by a recycled pid) is taken over. Other `token` commands
// do not look at it: the firmware's own store lock serialises writers.

interface Holder { pid: number; start: string }

function startTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch { return ''; }
}

/** The firmware lock's liveness rule (a zombie or a reused pid is dead): one rule for every lock. */
const alive = (h: Holder): boolean => processAlive(h.pid, String(h.start ?? ''));

export function attachLockPath(device: string): string { return `${device}.attach`; }

function takeAttachLock(device: string): { release(): void } {
  const path = attachLockPath(device);
  const me: Holder = { pid: process.pid, start: startTime(process.pid) };
  // Written whole to a temp file, then hard-linked into place: link() fails with EEXIST
  // atomically, and nobody ever sees a half-written lock.
  const tmp = `${path}.${process.pid}.tmp`;
  let fd: number;
  // No such directory: no such store either; boot() says so in its own words.
  try { fd = openSync(tmp, 'w', 0o600); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { release() {} };
    throw e;
  }
  try { writeSync(fd, JSON.stringify(me) + '\n'); fsyncSync(fd); } finally { closeSync(fd); }
  try {
    for (let attempt = 0; ; attempt++) {
      try { linkSync(tmp, path); break; } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        let h: Holder | null = null;
        try { h = JSON.parse(readFileSync(path, 'utf8')) as Holder; } catch { /* unreadable: stale */ }
        if (h && alive(h)) {
          throw new AttachError('E_ATTACHED',
            `this token is already attached (pid ${h.pid}); stop that 'token attach' first`);
        }
        if (attempt > 0) throw new AttachError('E_ATTACHED', 'another attach is starting on this token; try again');
        try { unlinkSync(path); } catch { /* someone else took it over first */ }
      }
    }
  } finally {
    try { unlinkSync(tmp); } catch { /* best effort */ }
  }
  return {
    release() {
      try {
        const h = JSON.parse(readFileSync(path, 'utf8')) as Holder;
        if (h.pid === me.pid && h.start === me.start) unlinkSync(path);
      } catch { /* already gone */ }
    },
  };
}
