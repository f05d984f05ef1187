// What to do about an AWS refusal: one clause per common (operation, code, text), appended to
// AWS's own words so the line says both what was wrong and how to fix it. The texts matched are
// the real services' (IAM's virtual MFA calls and STS's MFA checks), which the local endpoint copies.

/** What the caller knew when it asked: fills the commands a hint suggests. */
export interface Where {
  user?: string;
  serial?: string;
  /** Whether an MFA code was sent (STS). */
  mfa?: boolean;
}

interface Rule {
  code: string;
  ops?: string[];
  text?: RegExp;
  hint: (w: Where, m: RegExpExecArray | null) => string;
}

const U = (w: Where) => w.user ?? 'U';
const S = (w: Where) => w.serial ?? 'ARN';
const PAIR = ['EnableMFADevice', 'ResyncMFADevice'];

const RULES: Rule[] = [
  { code: 'EntityAlreadyExists', ops: ['CreateVirtualMFADevice'],
    hint: (w) => `remove it with \`provision remove --serial ${S(w)}\`, or pick another name` },
  { code: 'EntityAlreadyExists', ops: ['EnableMFADevice'],
    hint: (w) =>
      `it is enabled for a user already (\`provision list\` shows whom): \`provision remove --serial ${S(w)}\` and ` +
      `create it again to move it` },
  { code: 'InvalidAuthenticationCode', ops: ['EnableMFADevice'],
    hint: () =>
      'the token\'s clock may have drifted: check `token time` (`token time sync` sets it from this host), then try ' +
      'again' },
  { code: 'InvalidAuthenticationCode', ops: ['ResyncMFADevice'],
    hint: (w) =>
      `AWS found no two consecutive codes in its resync window (±20 steps on the local endpoint, unless ` +
      `--resync-window widens it): check \`token time\`, run \`token time sync\`, then \`provision resync --user ` +
      `${U(w)} --serial ${S(w)}\` again` },
  { code: 'AccessDenied', text: /invalid MFA one time pass code/i,
    hint: (w) =>
      `the code was wrong or already used: wait for the next step (30 s) and retry; if it keeps failing, the token's ` +
      `clock drifted: \`provision resync --user ${U(w)} --serial ${S(w)}\`` },
  { code: 'AccessDenied', text: /unable to validate MFA code/i,
    hint: (w) =>
      `${w.serial ? `the device ${w.serial}` : 'the serial'} is not enabled for the caller: check --serial against ` +
      `\`provision list\`` },
  { code: 'AccessDenied', text: /with session credentials/i,
    hint: () => 'GetSessionToken needs long-term keys: unset AWS_SESSION_TOKEN, or use --profile with an access key' },
  { code: 'AccessDenied', text: /not authorized to perform: sts:AssumeRole/,
    hint: (w) => w.mfa
      ? 'the role\'s trust policy does not allow this caller: its Principal must name the caller, ' +
        'its Action sts:AssumeRole'
      : 'the role\'s trust policy allows it only with MFA (Condition Bool aws:MultiFactorAuthPresent "true"): ' +
        'drop --no-mfa so the token\'s code is sent' },
  { code: 'AccessDenied', text: /not authorized to perform: (\S+)/,
    hint: (_w, m) =>
      `no policy of the caller allows ${m?.[1] ?? 'that action'} there: ask an administrator for it, or pass ` +
      `--profile with a principal that has it` },
  { code: 'NoSuchEntity', text: /user with name (\S+) cannot be found/,
    hint: (_w, m) =>
      `check the name with \`aws iam list-users\`, or create the user: \`aws iam create-user --user-name ` +
      `${m?.[1] ?? 'U'}\`` },
  { code: 'NoSuchEntity', ops: ['DeactivateMFADevice', 'ResyncMFADevice'],
    hint: (w) => `the device ${S(w)} is not enabled for ${U(w)}: \`provision list\` shows which user has it` },
  { code: 'NoSuchEntity', text: /MFA Device/i,
    hint: () => 'check the serial ARN with `provision list`' },
  { code: 'NoSuchEntity', text: /role with name/,
    hint: () => 'check the role ARN: `aws iam get-role --role-name NAME`' },
  { code: 'DeleteConflict',
    hint: (w) => `deactivate it first: pass --user ${U(w)} (\`provision list\` shows whom it is enabled for)` },
  { code: 'LimitExceeded', ops: ['EnableMFADevice'],
    hint: (w) => `a user holds at most 8 MFA devices: remove one of ${U(w)}'s with \`provision remove --serial ARN\`` },
  { code: 'InvalidClientTokenId',
    hint: () =>
      'the endpoint does not know this access key: check --profile or AWS_ACCESS_KEY_ID (for `provision local-aws`, ' +
      'use the key its banner prints)' },
  { code: 'SignatureDoesNotMatch', text: /Signature (expired|not yet current)/,
    hint: () => 'this host\'s clock is over 15 min off: fix the system time' },
  { code: 'SignatureDoesNotMatch',
    hint: () =>
      'the secret key does not belong to the access key: check AWS_SECRET_ACCESS_KEY or the profile\'s ' +
      'aws_secret_access_key' },
  { code: 'ExpiredToken',
    hint: () => 'the session credentials expired: get new ones (`provision session`), or unset AWS_SESSION_TOKEN' },
  { code: 'Throttling',
    hint: () => 'still throttled after every retry: lower --concurrency, or try again later' },
  { code: 'ValidationError', ops: ['CreateVirtualMFADevice'],
    hint: () => 'names hold letters, digits and +=,.@_-; --path starts and ends with /' },
  { code: 'ServiceFailure', hint: () => 'the service failed on its side: try again later' },
  { code: 'InternalFailure', hint: () => 'the service failed on its side: try again later' },
];

/** The fix for an AWS refusal, when one is known. `code` is AWS's, without the SDK's "Exception". */
export function hintFor(op: string, code: string, text: string, w: Where = {}): string | undefined {
  for (const r of RULES) {
    if (r.code !== code || (r.ops && !r.ops.includes(op))) continue;
    const m = r.text ? r.text.exec(text) : null;
    if (r.text && !m) continue;
    return r.hint(w, m);
  }
  return PAIR.includes(op) && code === 'AccessDenied' ?
    'the caller may not manage MFA devices: ask an administrator' : undefined;
}

/** AWS's text, then the hint as a sentence of its own. */
export function withHint(text: string, hint: string | undefined): string {
  if (!hint) return text;
  const h = hint[0]!.toUpperCase() + hint.slice(1);
  return text ? `${text}${/[.!?]$/.test(text) ? '' : '.'} ${h}` : h;
}
