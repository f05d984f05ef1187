// Two kinds of failure: AwsError goes on the wire as an ErrorResponse (code, HTTP status and
// text as AWS sends them); LocalAwsError is the server's own trouble (lock, state file, port).

/** HTTP status per error code: the botocore models' `error.httpStatusCode`, or what real IAM/STS send. */
const STATUS: Record<string, number> = {
  NoSuchEntity: 404, EntityAlreadyExists: 409, LimitExceeded: 409, DeleteConflict: 409,
  ConcurrentModification: 409, EntityTemporarilyUnmodifiable: 409, InvalidInput: 400,
  MalformedPolicyDocument: 400, InvalidAuthenticationCode: 403, ServiceFailure: 500,
  // Not modelled, sent by the real services.
  ValidationError: 400, AccessDenied: 403, InvalidClientTokenId: 403, SignatureDoesNotMatch: 403,
  IncompleteSignature: 403, MissingAuthenticationToken: 403, ExpiredToken: 403,
  InvalidAction: 400, MissingAction: 400, Throttling: 400, InternalFailure: 500,
  RequestEntityTooLarge: 413,
};

export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'AwsError';
    this.code = code;
    this.status = STATUS[code] ?? 400;
  }
  /** ServiceFailure has no senderFault trait in the model, so it is the receiver's. */
  get type(): 'Sender' | 'Receiver' { return this.status >= 500 ? 'Receiver' : 'Sender'; }
}

export type LocalCode = 'E_BUSY' | 'E_STATE_PERMS' | 'E_STATE_CORRUPT' | 'E_PORT' | 'E_USAGE' | 'E_IO';

export class LocalAwsError extends Error {
  readonly code: LocalCode;
  /** For E_BUSY: the process holding the state. */
  readonly pid?: number;
  /** For E_BUSY: what the holder is, when its lock says ('local-aws' or 'provision --local'). */
  readonly role?: string;
  constructor(code: LocalCode, message: string, pid?: number, role?: string) {
    super(message);
    this.name = 'LocalAwsError';
    this.code = code;
    if (pid !== undefined) this.pid = pid;
    if (role !== undefined) this.role = role;
  }
}

// The texts below are the real services' word for word, double space included, as IAM and STS return them.
export const MFA_INVALID = 'MultiFactorAuthentication failed with invalid MFA one time pass code.';
export const MFA_UNVALIDATED = 'MultiFactorAuthentication failed, unable to validate MFA code.  ' +
  'Please verify your MFA serial number is valid and associated with this user.';
export const notAuthorized = (caller: string, action: string, resource: string) =>
  new AwsError('AccessDenied', `User: ${caller} is not authorized to perform: ${action} on resource: ${resource}`);
export const noSuchUser = (name: string) => new AwsError('NoSuchEntity', `The user with name ${name} cannot be found.`);
export const noSuchRole = (name: string) => new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`);
export const noSuchDevice = (serial: string) =>
  new AwsError('NoSuchEntity', `MFA Device with serial number ${serial} does not exist.`);
