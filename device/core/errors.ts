/** Every core failure carries a stable code; only CLIs turn them into words on stderr. */
export type CoreCode =
  | 'E_BASE32' | 'E_DIGITS' | 'E_PERIOD' | 'E_T0' | 'E_ALGORITHM'
  | 'E_SECRET' | 'E_COUNTER' | 'E_TIME' | 'E_WINDOW' | 'E_URI';

export class OtpError extends Error {
  readonly code: CoreCode;
  constructor(code: CoreCode, message: string) {
    super(message);
    this.name = 'OtpError';
    this.code = code;
  }
}
