// The YubiKey Management applet (CLA 00, AID A0 00 00 05 27 47 11 17): what ykman reads before any
// application, to name the device, its serial, its firmware and which applications it has.
import { sha } from '../core/index.js';
import { concat, SW, SwError, tlv, type Command } from './apdu.js';
import { load, type Ctx } from './ram.js';
import type { Identity } from './store.js';
export const MANAGEMENT_INS = { READ_CONFIG: 0x1d } as const;

/** DeviceInfo tags (yubikit's management.py); one byte each, as READ CONFIG answers them. */
export const CONFIG_TAG = {
  USB_SUPPORTED: 0x01, SERIAL: 0x02, USB_ENABLED: 0x03, FORM_FACTOR: 0x04, VERSION: 0x05,
  DEVICE_FLAGS: 0x08, CONFIG_LOCK: 0x0a,
} as const;

/** yubikit's CAPABILITY bits: this token has the OATH application and no other. */
export const CAPABILITY_OATH = 0x0020;
/** FORM_FACTOR.UNKNOWN: a fob with a panel is none of a YubiKey's shapes, and ykman then claims none. */
export const FORM_FACTOR_UNKNOWN = 0x00;

const FOB_SERIAL = /^FOB([1-9]\d{0,8})$/;

/**
 * The token's serial as a YubiKey serial number (an unsigned 32-bit integer; 0 means "none" to ykman).
 * `FOB` and 1–9 digits without a leading zero (what manufacture makes) is that number, so FOB18158249
 * is 18158249. Any other serial is SHA-256(serial)'s first 4 bytes with the top bit set: 2^31 and up,
 * never 0, and never one a FOB serial maps to.
 */
export function yubikeySerial(serial: string): number {
  const m = FOB_SERIAL.exec(serial);
  if (m) return Number(m[1]);
  const d = sha('SHA256', new TextEncoder().encode(serial));
  return (((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) | 0x80000000) >>> 0;
}

const version = (id: Identity) => id.firmware.split('.').map(Number);

/** SELECT answers the firmware version as ASCII; ykman finds `\d+.\d.\d` in it. */
export const selectManagement = (id: Identity): Uint8Array => new TextEncoder().encode(id.firmware);

/**
 * READ CONFIG `00 1D 00 00`: one length byte, then the DeviceInfo TLVs. USB only (no NFC tags, so
 * ykman shows no NFC column), OATH supported and enabled, nothing locked, no flags.
 */
export function readConfig(id: Identity): Uint8Array {
  const serial = yubikeySerial(id.serial);
  const body = concat([
    tlv(CONFIG_TAG.USB_SUPPORTED, [CAPABILITY_OATH >> 8, CAPABILITY_OATH & 0xff]),
    tlv(CONFIG_TAG.SERIAL, [serial >>> 24, (serial >>> 16) & 0xff, (serial >>> 8) & 0xff, serial & 0xff]),
    tlv(CONFIG_TAG.USB_ENABLED, [CAPABILITY_OATH >> 8, CAPABILITY_OATH & 0xff]),
    tlv(CONFIG_TAG.FORM_FACTOR, [FORM_FACTOR_UNKNOWN]),
    tlv(CONFIG_TAG.VERSION, version(id)),
    tlv(CONFIG_TAG.DEVICE_FLAGS, [0x00]),
    tlv(CONFIG_TAG.CONFIG_LOCK, [0x00]),
  ]);
  return concat([Uint8Array.of(body.length), body]);
}

/**
 * Commands while Management is selected. READ CONFIG's P1 is the page newer ykman asks for; this
 * device's info fits page 0 (it never sets the more-data tag), so any other page is 6B00. The
 * configuration is fixed: WRITE CONFIG, SET MODE and the rest are 6D00, as an absent command is.
 */
export function management(ctx: Ctx, cmd: Command): Uint8Array {
  if (cmd.ins !== MANAGEMENT_INS.READ_CONFIG) throw new SwError(SW.UNKNOWN_INS);
  if (cmd.p1 !== 0 || cmd.p2 !== 0) throw new SwError(SW.WRONG_P1P2);
  return readConfig(load(ctx).identity);
}
