/**
 * totp-fob's firmware: the simulated token. It powers on (self-test, store, access code) and shows
 * two faces: the card, APDUs for any host, and the panel, a button and an LCD for the person.
 */
export {
  boot, manufacture, MODEL, FIRMWARE, type Device, type Card, type Panel, type BootOptions, type ManufactureOptions,
} from './device.js';
export { FirmwareError, type FirmwareCode } from './errors.js';
export { SW, parseCommand, swOf, parseTlvs, tlv } from './apdu.js';
export { AID, INS, VENDOR_INS, TAG, INFO_TAG, CAPACITY } from './ykoath.js';
export { accessKey } from './access.js';
export { MAX_RETRIES, type Identity } from './store.js';
export { TOUCH_WINDOW_MS, pressPath, type Frame, type DisplayOptions } from './panel.js';
export type { HashFn } from './power-on-test.js';
