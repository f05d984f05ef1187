// `token --help`: what it is, then transcripts (rsc/2fa style) taken from real runs.
export const ABOUT = 'A simulated hardware TOTP token: enroll secrets once, read codes off its display, never export a seed.';

export const EXAMPLES = `
Examples:
  $ token enroll 'otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=GitHub'
  created token FOB90299867 at /home/alice/.local/state/totp-fob/token.dev
  enrolled GitHub:alice

  $ token enroll aws-mfa-qr.png --touch
  enrolled Amazon Web Services:alice@123456789012

  $ token enroll --secret - --name backup --digits 8 < seed.txt
  enrolled backup

  $ token show | cat
  Amazon Web Services:alice@123456789012    167116
  backup                                  51496105
  GitHub:alice                              923441

  $ token code github
  923441

  $ token code aws --fresh --json     # a step never handed out before; waits for the next if used
  {"id":"Amazon Web Services:alice@123456789012","code":"983461","step":59844534}

  $ token init --serial FOB48213377 --drift-ppm 20 --at 2026-06-01T00:00:00Z
  created token FOB48213377 at /home/alice/.local/state/totp-fob/token.dev
  $ token --at 2027-06-01T00:00:00Z time
  device  2027-06-01T00:10:30Z
  host    2027-06-01T00:00:00Z (simulated)
  offset  +630.720 s (+21.02 steps of 30 s)

  $ token attach --vpcd 127.0.0.1:35963 &     # pcscd with vsmartcard-vpcd: the token is now a card
  $ ykman --reader "Virtual PCD 00 00" oath accounts code
  GitHub:alice  923441

  $ token apdu 00A10000 --trace
  > 00 A4 04 00 07 A0 00 00 05 27 21 01
  < 79 03 05 07 01 71 08 E3 C7 42 11 02 87 1E 0D 90 00
  > 00 A1 00 00
  < 72 0D 21 47 69 74 48 75 62 3A 61 6C 69 63 65 90 00
  720D214769744875623A616C6963659000

Exit status: 0 ok, 1 failed, 2 usage. Errors are one line on stderr.
Environment: TOKEN_DEVICE (the store), TOTP_FOB_NOW (simulated host time, like --at),
  TOKEN_SECRET (for enroll), TOKEN_ACCESS_CODE, TOKEN_NEW_ACCESS_CODE (for access change), NO_COLOR.
`;
