/** provision's failures carry a stable code; only the CLI turns them into one line on stderr. */
export type ProvisionCode =
  | 'E_USAGE'        // bad flags or arguments: exit 2
  | 'E_ID_TOO_LONG'  // even `AWS:NAME@ACCOUNT` is over 64 bytes: exit 2, nothing created
  | 'E_EXISTS'       // the token already holds the credential id a device would get
  | 'E_QR_MISMATCH'  // the QR PNG carries a different secret than Base32StringSeed
  | 'E_QR_URI'       // the QR decodes, but not to a usable otpauth URI
  | 'E_SEED'         // Base32StringSeed is missing or not base32
  | 'E_AWS'          // AWS (or the local endpoint) refused; message carries its Code
  | 'E_CREDENTIALS'  // no AWS credentials, or --profile names no profile
  | 'E_NO_MAPPING'   // no record of which token credential backs a serial
  | 'E_NOT_ON_TOKEN' // the mapped credential is not on this token
  | 'E_NOT_FOUND'    // neither IAM nor the mapping knows the serial (remove)
  | 'E_STATE'        // provision's state file is unreadable, corrupt or too open
  | 'E_FS'           // a file or directory provision writes (--qr-out, state) could not be written
  | 'E_LOCAL_BUSY'   // --local while a `provision local-aws` server (or a long --local run) holds the state
  | 'E_INJECTED'     // PROVISION_FAIL_AT (tests only)
  | 'E_BATCH'        // some devices of a batch failed
  | 'E_TIMEOUT';

/** Another layer's code kept as it was (HostError's E_FULL, the clock's E_TIME, ...). */
export type ForeignCode = `E_${string}`;

export class ProvisionError extends Error {
  readonly code: ProvisionCode | ForeignCode;
  /** Exit status the CLI should use: 2 for usage, 1 otherwise. */
  readonly exit: 1 | 2;
  constructor(code: ProvisionCode | ForeignCode, message: string, exit?: 1 | 2) {
    super(message);
    this.name = 'ProvisionError';
    this.code = code;
    this.exit = exit ?? (code === 'E_USAGE' || code === 'E_ID_TOO_LONG' ? 2 : 1);
  }
}

export const usage = (message: string) => new ProvisionError('E_USAGE', message);

const WHY: Record<string, string> = {
  ENOENT: 'no such file or directory', EACCES: 'permission denied', EPERM: 'operation not permitted',
  EROFS: 'read-only file system', ENOTDIR: 'a path component is not a directory', EISDIR: 'it is a directory',
  ENOSPC: 'no space left on device', EDQUOT: 'disk quota exceeded', EEXIST: 'it exists',
};

/** One line for a failed file operation: what, where, why (errno), and the fix. */
export function fsError(e: unknown, what: string, fix: string): ProvisionError {
  const x = e as NodeJS.ErrnoException;
  const why = x.code ? `${x.code}, ${WHY[x.code] ?? x.message}` : x.message;
  return new ProvisionError('E_FS', `${what}${x.path ? ` (${x.path})` : ''}: ${why}: ${fix}`);
}
