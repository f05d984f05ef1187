/** Every firmware failure carries a stable code; only CLIs turn them into words on stderr. */
export type FirmwareCode =
  | 'E_EXISTS' | 'E_NO_DEVICE' | 'E_STORE_CORRUPT' | 'E_STORE_INVALID' | 'E_STORE_PERMS' | 'E_STORE_VERSION'
  | 'E_ROLLBACK'
  | 'E_ACCESS' | 'E_WIPED' | 'E_LOCKED' | 'E_BUSY' | 'E_SERIAL' | 'E_DRIFT' | 'E_CLOSED' | 'E_IO';

export class FirmwareError extends Error {
  readonly code: FirmwareCode;
  /** The status word this failure answers with over the APDU face, when it has one. */
  readonly sw?: number;
  /** Access-code refusals state how many tries are left before the device wipes itself. */
  readonly triesLeft?: number;
  constructor(code: FirmwareCode, message: string, o: { sw?: number; triesLeft?: number } = {}) {
    super(message);
    this.name = 'FirmwareError';
    this.code = code;
    if (o.sw !== undefined) this.sw = o.sw;
    if (o.triesLeft !== undefined) this.triesLeft = o.triesLeft;
  }
}
