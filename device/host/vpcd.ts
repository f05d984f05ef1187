// The vsmartcard vpcd wire protocol, card side: vpcd (a pcscd reader driver) listens,
// the card dials in, and both directions carry frames of a 2-byte big-endian length
// then the payload (vsmartcard doc/api.md; src/vpcd/vpcd.c sendToVICC/recvFromVICC).
// A 1-byte payload is a control byte; anything longer is a command APDU.
import type { Duplex } from 'node:stream';
import type { Door } from './channel.js';

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

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

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
