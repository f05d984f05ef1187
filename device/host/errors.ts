/** Every host failure carries a stable code; only the CLI turns them into words and exit codes. */
export type HostCode =
  | 'E_NO_DEVICE' | 'E_NO_MATCH' | 'E_AMBIGUOUS' | 'E_EXISTS' | 'E_ID_TOO_LONG' | 'E_FULL'
  | 'E_UNSUPPORTED' | 'E_SOURCE' | 'E_INPUT' | 'E_QR_NOT_PNG' | 'E_QR_UNREADABLE' | 'E_QR_TOO_LARGE'
  | 'E_QR_TOO_COMPLEX'
  | 'E_APDU' | 'E_LOCKED' | 'E_ACCESS' | 'E_LAST_TRY' | 'E_WIPED' | 'E_TOUCH' | 'E_USED'
  | 'E_BACKWARDS' | 'E_UNHEALTHY' | 'E_USAGE' | 'E_CANCELLED' | 'E_VECTORS'
  | 'E_MIGRATION' | 'E_VERIFY' | 'E_BUSY';

export class HostError extends Error {
  readonly code: HostCode;
  /** The status word, when the device refused an APDU. */
  readonly sw?: number;
  constructor(code: HostCode, message: string, sw?: number) {
    super(message);
    this.name = 'HostError';
    this.code = code;
    if (sw !== undefined) this.sw = sw;
  }
}
