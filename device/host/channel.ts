// One conversation over the APDU door: traces each pair (PUT and SET CODE data redacted),
// follows 61xx with SEND REMAINING, and turns refusals into status words for the caller.
import { HostError } from './errors.js';
import { concat, hex, INS, sendRemaining } from './oath-client.js';

/** The APDU door a channel talks through: the firmware's, or a card reader's. */
export interface Door { transmit(apdu: Uint8Array): Promise<Uint8Array> }
export interface Answer { data: Uint8Array; sw: number }

const spaced = (b: Uint8Array) => hex(b).toUpperCase().replace(/(..)(?!$)/g, '$1 ');

/** The trace line of a command: the data of PUT and SET CODE carries seeds and keys, so never shown. */
export function traceCommand(a: Uint8Array): string {
  const secret = a.length > 5 && (a[0]! & 0xef) === 0x00 && (a[1] === INS.PUT || a[1] === INS.SET_CODE);
  return '> ' + (secret ? `${spaced(a.subarray(0, 5))} <redacted>` : spaced(a));
}
export const traceAnswer = (r: Uint8Array): string => '< ' + spaced(r);

export class Channel {
  constructor(private readonly door: Door, private readonly trace?: (line: string) => void) {}

  /** One exchange exactly as sent, nothing followed. */
  async exchange(apdu: Uint8Array): Promise<Answer> {
    this.trace?.(traceCommand(apdu));
    const r = await this.door.transmit(apdu);
    this.trace?.(traceAnswer(r));
    if (r.length < 2) throw new HostError('E_APDU', 'the device answered without a status word');
    return { data: r.subarray(0, r.length - 2), sw: (r[r.length - 2]! << 8) | r[r.length - 1]! };
  }

  /** One exchange exactly as sent, its answer as the card gave it: data, then SW1 SW2. */
  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const a = await this.exchange(apdu);
    const out = new Uint8Array(a.data.length + 2);
    out.set(a.data); out[a.data.length] = a.sw >> 8; out[a.data.length + 1] = a.sw & 0xff;
    return out;
  }

  /** Sends, gathers 61xx continuations, and returns the whole answer with its final SW. */
  async send(apdu: Uint8Array): Promise<Answer> {
    let a = await this.exchange(apdu);
    const parts = [a.data];
    for (let n = 0; (a.sw & 0xff00) === 0x6100; n++) {
      if (n > 64) throw new HostError('E_APDU', 'the device kept answering 61xx');
      a = await this.exchange(sendRemaining());
      parts.push(a.data);
    }
    return { data: concat(...parts), sw: a.sw };
  }

  /** send(), and anything but 9000 is an error worded by `refused`. */
  async ok(apdu: Uint8Array, refused: (sw: number) => HostError = generic): Promise<Uint8Array> {
    const a = await this.send(apdu);
    if (a.sw !== 0x9000) throw refused(a.sw);
    return a.data;
  }
}

export const swText = (sw: number) => sw.toString(16).toUpperCase().padStart(4, '0');

export function generic(sw: number): HostError {
  switch (sw) {
    case 0x6f00: return new HostError('E_UNHEALTHY',
      'the token failed its power-on self-test (its display shows Err); it cannot be used', sw);
    case 0x6982: return new HostError('E_LOCKED',
      'the token is locked by an access code (set TOKEN_ACCESS_CODE, or run on a terminal to be asked)', sw);
    case 0x6984: return new HostError('E_NO_MATCH', 'no such credential on the token', sw);
    case 0x6a84: return new HostError('E_FULL', 'the token is full (64 credentials); delete one first', sw);
    default: return new HostError('E_APDU', `the token refused the command (SW ${swText(sw)})`, sw);
  }
}
