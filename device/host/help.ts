// `token --help`: what it is, then transcripts (rsc/2fa style) taken from real runs.
export const ABOUT =
  'A simulated hardware TOTP token: enroll secrets once, read codes off its display, never export a seed.';

export const EXAMPLES = `
Examples:
  $ token enroll 'otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=GitHub'
  created token FOB90299867 at /home/alice/.local/state/totp-fob/token.dev
  enrolled GitHub:alice (verified)

  $ token enroll aws-mfa-qr.png --touch
  enrolled Amazon Web Services:alice@123456789012 (verified)

  $ token enroll --secret - --name backup --digits 8 < seed.txt
  enrolled backup (verified)

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
  TOKEN_SECRET, TOKEN_PSKC_KEY, TOKEN_PSKC_PASSWORD (for enroll), TOKEN_ACCESS_CODE,
  TOKEN_NEW_ACCESS_CODE (for access change), NO_COLOR.
`;

/** `token CMD --help` ends with these (commander's addHelpText 'after'). */
export const COMMAND_EXAMPLES: Record<string, string> = {
  init: `
  $ token init --serial FOB48213377 --drift-ppm random
  created token FOB48213377 at /home/alice/.local/state/totp-fob/token.dev`,
  info: `
  $ token info
  serial        FOB48213377
  model         FOB-1
  firmware      5.7.1
  store         /home/alice/.local/state/totp-fob/token.dev
  credentials   3 of 64
  clock         2026-11-22T09:20:39Z
  drift         +12.417 ppm (+1.07 s/day)
  manufactured  2026-06-01T00:00:00Z
  access code   not set`,
  time: `
  $ token time
  device  2027-06-01T00:10:30Z
  host    2027-06-01T00:00:00Z
  offset  +630.720 s (+21.02 steps of 30 s)
  $ token time sync --force        # the device is ahead: setting it back needs --force
  device clock set to 2027-06-01T00:00:00Z (it was +630.7 s off)`,
  reset: `
  $ token reset --yes
  token FOB48213377 reset: no credentials, no access code`,
  enroll: `
  $ token enroll 'otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=GitHub'
  enrolled GitHub:alice (verified)
  $ token enroll aws-mfa-qr.png --touch
  enrolled Amazon Web Services:alice@123456789012 (verified)
  $ token enroll --secret - --name backup --digits 8 < seed.txt
  enrolled backup (verified)
  $ token enroll export-1.png export-2.png     # a Google Authenticator export's QR codes: all or nothing
  enrolled Google:alice@gmail.com (verified)
  enrolled Dropbox:alice (verified)
  parts 1 and 2 of 2 of a Google Authenticator export
  $ token enroll export-3.png --json           # one part of three, on its own
  [{"id":"GitLab:alice","name":"alice","issuer":"GitLab","type":"totp","algorithm":"SHA1","digits":6,` +
  `"period":30,"touch":false,"verified":true,"part":{"number":3,"of":3,"batchId":1184}}]
  part 3 of 3 of a Google Authenticator export (parts 1 and 2 are not in this enrollment)
  $ token enroll vendor.pskcxml --pskc-key - --serial 987654321 < psk.hex   # PSKC (RFC 6030), one device
  enrolled Issuer:987654321 (verified) serial 987654321
  $ token enroll tokens.pskcxml --device-dir line    # one token per serial, as a factory line: all or none
  enrolled Feitian Technology Co.,Ltd:1000133508267 (verified) serial 1000133508267 at line/1000133508267.dev
  enrolled 60/Feitian Technology Co.,Ltd:2600124809778 (verified) serial 2600124809778 at line/2600124809778.dev`,
  list: `
  $ token list
  Amazon Web Services:alice@123456789012  totp  SHA1  6 digits  30 s  touch
  backup                                  totp  SHA1  8 digits  30 s
  $ token list --json
  [{"id":"backup","name":"backup","issuer":null,"type":"totp",` +
  `"algorithm":"SHA1","digits":8,"period":30,"touch":false}]`,
  delete: `
  $ token delete backup
  deleted backup`,
  rename: `
  $ token rename github 'GitHub:alice@work'
  renamed GitHub:alice to GitHub:alice@work`,
  show: `
  $ token show | cat
  Amazon Web Services:alice@123456789012    167116
  backup                                  51496105
  $ token show github --json
  [{"name":"alice","issuer":"GitHub","type":"totp","code":"923441","next":"118294","step":59844534,` +
  `"remaining":12,"period":30,"digits":6,"algorithm":"SHA1"}]
  $ token show --watch              # on a terminal: redraws at every step until Ctrl-C`,
  code: `
  $ token code github
  923441
  $ token code aws --fresh --json   # a step never handed out before
  {"id":"Amazon Web Services:alice@123456789012","code":"983461","step":59844534}`,
  access: `
  $ TOKEN_ACCESS_CODE='correct horse' token access set
  access code set on token FOB48213377: it is asked at every use, and 8 wrong tries wipe the token`,
  press: `
  $ token press && ykman oath accounts code aws
  Amazon Web Services:alice@123456789012  983461`,
  selftest: `
  $ token selftest | tail -1
  85 vectors: 85 ok, 0 failed`,
  apdu: `
  $ token apdu 00A10000 --trace
  > 00 A4 04 00 07 A0 00 00 05 27 21 01
  < 79 03 05 07 01 71 08 E3 C7 42 11 02 87 1E 0D 90 00
  > 00 A1 00 00
  < 72 0D 21 47 69 74 48 75 62 3A 61 6C 69 63 65 90 00
  720D214769744875623A616C6963659000`,
  attach: `
  $ token attach --vpcd 127.0.0.1:35963 &
  $ ykman --reader "Virtual PCD 00 00" oath accounts code
  GitHub:alice  923441`,
};

export const examplesOf = (name: string): string =>
  COMMAND_EXAMPLES[name] ? `\nExamples:${COMMAND_EXAMPLES[name]}\n` : '';
