// ISO 7816-4 command APDUs (short and extended length) and the status words this card answers.

/** Status words, named by what they tell the host (YKOATH meanings per the Yubico SDK and ykneo-oath). */
export const SW = {
  OK: 0x9000,
  /** 61xx: more data; fetch it with SEND REMAINING (00 A5). */
  MORE: 0x6100,
  /** 63Cx: verification failed, x tries left before the device wipes itself. */
  TRIES_LEFT: 0x63c0,
  WRONG_LENGTH: 0x6700,
  /** Auth required: locked by an access code, or a touch that never came. */
  AUTH_REQUIRED: 0x6982,
  /** No such object (unknown credential id), or a wrong VALIDATE response. */
  NO_SUCH_OBJECT: 0x6984,
  /** Conditions of use not satisfied: backwards SET TIME, a step at or below high water. */
  CONDITIONS: 0x6985,
  WRONG_DATA: 0x6a80,
  /** SELECT of an application this card does not have. */
  NOT_FOUND: 0x6a82,
  NO_SPACE: 0x6a84,
  WRONG_P1P2: 0x6b00,
  UNKNOWN_INS: 0x6d00,
  UNKNOWN_CLA: 0x6e00,
  /** No precise diagnosis: a failed self-test, or a store that cannot be read. */
  FAILED: 0x6f00,
} as const;

/** Largest command data this card accepts, chained or extended (a PUT is < 200 bytes). */
export const MAX_DATA = 4096;

export interface Command {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
}

/** A parse failure is answered with its status word, never thrown at the host. */
export class SwError extends Error {
  constructor(readonly sw: number) { super(`SW ${sw.toString(16).padStart(4, '0')}`); }
}

/**
 * Cases 1–4, short or extended. ykman always sends Lc, even `00` with no data
 * (LIST is `00 A1 00 00 00`), so a 5-byte APDU is read as "no data", as a YubiKey does.
 */
export function parseCommand(a: Uint8Array): Command {
  if (!(a instanceof Uint8Array) || a.length < 4) throw new SwError(SW.WRONG_LENGTH);
  const [cla, ins, p1, p2] = [a[0]!, a[1]!, a[2]!, a[3]!];
  const head = { cla, ins, p1, p2 };
  if (a.length <= 5) return { ...head, data: new Uint8Array(0) };
  if (a[4] === 0 && a.length >= 7) {
    // Extended: 00 Lc1 Lc2 data [Le1 Le2], or 00 Le1 Le2 alone (case 2E).
    if (a.length === 7) return { ...head, data: new Uint8Array(0) };
    const lc = (a[5]! << 8) | a[6]!;
    if (lc === 0 || (a.length !== 7 + lc && a.length !== 9 + lc)) throw new SwError(SW.WRONG_LENGTH);
    if (lc > MAX_DATA) throw new SwError(SW.WRONG_LENGTH);
    return { ...head, data: a.slice(7, 7 + lc) };
  }
  const lc = a[4]!;
  if (lc === 0 || (a.length !== 5 + lc && a.length !== 6 + lc)) throw new SwError(SW.WRONG_LENGTH);
  return { ...head, data: a.slice(5, 5 + lc) };
}

/** Response APDU: data ‖ SW1 SW2. */
export function reply(data: Uint8Array | number[], sw: number = SW.OK): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data);
  out[data.length] = (sw >>> 8) & 0xff;
  out[data.length + 1] = sw & 0xff;
  return out;
}

export const status = (sw: number): Uint8Array => reply([], sw);

export function swOf(response: Uint8Array): number {
  const n = response.length;
  return n < 2 ? -1 : (response[n - 2]! << 8) | response[n - 1]!;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
