// Who is calling, and what a handler gets: the state, the caller, the validated input and both clocks.
import { AwsError } from './errors.js';
import type { KeyRec, RoleRec, SessionRec, State, UserRec } from './state.js';
import { userArn } from './state.js';
import type { Input } from './validate.js';

export type Caller =
  | { kind: 'user'; key: KeyRec; user: UserRec }
  | { kind: 'session'; session: SessionRec; user: UserRec }
  | { kind: 'role'; session: SessionRec; role: RoleRec };

export interface Ctx {
  state: State;
  caller: Caller;
  p: Input;
  /** Real Unix seconds: creation dates, expirations. */
  now: number;
  /** TOTP clock (TOTP_FOB_NOW when set): code checks and MFA age. */
  totpNow: number;
  /** ResyncMFADevice's reach, in steps either side of now. */
  resyncWindow: number;
  /** Set by any handler that changed the state, so it is saved even if the request then fails. */
  changed: boolean;
  /** `local-aws --open`: identity policies are not enforced (trust policies still are). */
  open?: boolean;
  /** The region the request was signed for. */
  region?: string;
}

/** A handler returns the `{Action}Result` body, or null for actions the model gives no output. */
export type Handler = (c: Ctx) => string | null | Promise<string | null>;

export const assumedRoleArn = (s: State, role: string, session: string) =>
  `arn:aws:sts::${s.accountId}:assumed-role/${role}/${session}`;

export function callerArn(s: State, c: Caller): string {
  return c.kind === 'role' ? assumedRoleArn(s, c.role.name, c.session.sessionName!) : userArn(s, c.user);
}

/** The IAM user behind the credentials, if any: long-term keys and GetSessionToken sessions have one. */
export const callerUser = (c: Caller): UserRec | null => (c.kind === 'role' ? null : c.user);

/** `UserName` when given, else the caller; role credentials must name a user (IAM's own text). */
export function targetUser(c: Ctx, given: string | undefined): UserRec {
  if (given === undefined) {
    const u = callerUser(c.caller);
    if (!u) throw new AwsError('ValidationError', 'Must specify userName when calling with non-User credentials');
    return u;
  }
  const u = c.state.users[given];
  if (!u) throw new AwsError('NoSuchEntity', `The user with name ${given} cannot be found.`);
  return u;
}
