/** totp-fob's firmware: the simulated token behind its one door, the APDU interface. */
export { boot, manufacture, MODEL, FIRMWARE, type Device, type BootOptions, type ManufactureOptions } from './device.js';
export { FirmwareError, type FirmwareCode } from './errors.js';
export { SW, parseCommand, swOf } from './apdu.js';
export { AID, INS } from './oath.js';
export { VENDOR_INS, INFO_TAG } from './vendor.js';
export { TAG, parseTlvs, tlv } from './tlv.js';
export { accessKey } from './access.js';
export { CAPACITY, MAX_RETRIES, type Identity } from './store.js';
export { TOUCH_WINDOW_MS, pressPath } from './touch.js';
export type { Frame } from './display.js';
export type { HashFn } from './post.js';
