// `token --help`: what it is, then transcripts (rsc/2fa style), then where things live.
export const ABOUT = 'A simulated hardware TOTP token: enroll secrets once, read codes off its display, never export a seed.';

export const EXAMPLES = `
Examples:
  $ token enroll 'otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=GitHub'
  created token FOB48213377 at /home/alice/.local/state/totp-fob/token.dev
  enrolled GitHub:alice

  $ token enroll aws-mfa-qr.png --touch
  enrolled Amazon Web Services:alice@123456789012

  $ token enroll --secret - --name backup --digits 8 < seed.txt
  enrolled backup

  $ token show | cat
  Amazon Web Services:alice@123456789012    302481
  GitHub:alice                              917403
  backup                                  62081774

  $ token code github
  917403

  $ token code aws --fresh          # never hands out the same step twice (AWS refuses reuse)
  this step's code was already handed out; waiting 12 s for the next
  552190

  $ token --at 2027-06-01T00:00:00Z time
  device  2027-06-01T00:10:30Z
  host    2027-06-01T00:00:00Z (simulated)
  offset  +630.720 s (+21.02 steps of 30 s)

  $ token apdu 00A10000 --trace
  > 00 A4 04 00 07 A0 00 00 05 27 21 01
  < 79 03 05 07 01 71 08 9B 2F 10 C4 5E 77 A1 03 90 00
  > 00 A1 00 00
  < 72 0D 21 47 69 74 48 75 62 3A 61 6C 69 63 65 90 00
  720D21476974487562...9000

Exit status: 0 ok, 1 failed, 2 usage. Errors are one line on stderr.
Environment: TOKEN_DEVICE (the store), TOTP_FOB_NOW (simulated host time, like --at),
  TOKEN_SECRET (for enroll), TOKEN_ACCESS_CODE, TOKEN_NEW_ACCESS_CODE (for access change), NO_COLOR.
`;
