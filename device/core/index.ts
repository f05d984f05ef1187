/** totp-fob's core: RFC 4226 HOTP and RFC 6238 TOTP, pure, time passed in as Unix seconds. */
export { OtpError, type CoreCode } from './errors.js';
export { base32Encode, base32Decode } from './base32.js';
export { createMac, hmac, sha, algorithmOf, ALGORITHMS, type Algorithm, type Mac } from './hmac.js';
export {
  hotp, totp, truncate, timeStep, counterBytes, hotpWith, MAX_COUNTER,
  type HotpOptions, type TotpOptions,
} from './hotp.js';
export {
  createOtp, verify, verifyWith, type Otp, type OtpConfig, type VerifyOptions, type Match, type Window,
} from './otp.js';
export { parseKeyUri, formatKeyUri, MAX_URI, type KeyUri, type ParsedKeyUri } from './keyuri.js';
