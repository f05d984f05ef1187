/** Every host failure carries a stable code; only the CLI turns them into words and exit codes. */
export type HostCode =
  | 'E_NO_DEVICE' | 'E_NO_MATCH' | 'E_AMBIGUOUS' | 'E_EXISTS' | 'E_ID_TOO_LONG' | 'E_FULL'
  | 'E_UNSUPPORTED' | 'E_SOURCE' | 'E_INPUT' | 'E_QR_NOT_PNG' | 'E_QR_UNREADABLE' | 'E_QR_TOO_LARGE'
  | 'E_QR_TOO_COMPLEX'
  | 'E_APDU' | 'E_LOCKED' | 'E_ACCESS' | 'E_LAST_TRY' | 'E_WIPED' | 'E_TOUCH' | 'E_USED'
  | 'E_BACKWARDS' | 'E_UNHEALTHY' | 'E_USAGE' | 'E_CANCELLED' | 'E_VECTORS'
  | 'E_MIGRATION' | 'E_VERIFY' | 'E_BUSY' | PskcCode;

/** What a PSKC file (RFC 6030) can be refused for; device/host/pskc.ts says when. */
export type PskcCode =
  | 'E_PSKC_XML' | 'E_PSKC_DOCTYPE' | 'E_PSKC_LIMIT' | 'E_PSKC_MAC' | 'E_PSKC_KEY' | 'E_PSKC_UNSUPPORTED'
  | 'E_PSKC_NO_SECRET' | 'E_PSKC_DUPLICATE' | 'E_PSKC_EXPIRED' | 'E_PSKC_SERIAL';

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

/** A refused PSKC file; `packageIndex` (1-based) and `keyId` name the KeyPackage when one is at fault. */
export class PskcError extends HostError {
  declare readonly code: PskcCode;
  readonly packageIndex?: number;
  readonly keyId?: string;
  constructor(code: PskcCode, message: string, at?: { packageIndex: number; keyId?: string }) {
    super(code, message);
    this.name = 'PskcError';
    if (at) {
      this.packageIndex = at.packageIndex;
      if (at.keyId !== undefined) this.keyId = at.keyId;
    }
  }
}
