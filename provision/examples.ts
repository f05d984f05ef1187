// The `--help` examples: transcripts that run as shown under --local from a fresh state
// (test/provision/help.test.ts replays every `$` line, a simulated minute apart, and matches the
// output shown). Token serials have the real form (FOB + 8 digits); the user is the fixture's.
const SEED = 'kjh-SuperDuperUser';
export const EXAMPLES = {
  create: `
Examples:
  $ token init
  $ provision --local create ${SEED} --path /service-user/ --user ${SEED}
  arn:aws:iam::123456789012:mfa/service-user/${SEED}  Amazon Web Services:${SEED}@123456789012  ` +
    `token FOB97258251  enabled for ${SEED}

  $ provision --local create build-bot --path /team/ --tag team=infra --qr-out build-bot.png --json
  {"serialNumber":"arn:aws:iam::123456789012:mfa/team/build-bot",` +
    `"credential":"Amazon Web Services:build-bot@123456789012",` +
    `"userName":null,"enabled":false,"token":"FOB97258251"}

  $ printf 'line-01 ${SEED}\\nline-02\\n# spare\\nline-03\\n' > staff.txt
  $ provision --local create --from staff.txt --device-dir tokens --concurrency 8 --json
  {"name":"line-01","ok":true,"serialNumber":"arn:aws:iam::123456789012:mfa/line-01",…,"enabled":true,"token":"FOB…"}
  (one "NAME [USER]" per line, # comments; one token store per device, tokens/NAME.dev;
   a device that failed gets {"name":…,"ok":false,"error":{"code":…,"awsCode":…,"message":…}})
`,
  list: `
Examples:
  $ token init
  $ provision --local create ${SEED} --path /service-user/ --user ${SEED}
  $ provision --local create spare
  $ provision --local list
  SERIAL                                                       USER                TOKEN CREDENTIAL
  arn:aws:iam::123456789012:mfa/service-user/${SEED}  ${SEED}  Amazon Web Services:${SEED}@123456789012
  arn:aws:iam::123456789012:mfa/spare                          (unassigned)        ` +
    `Amazon Web Services:spare@123456789012
  (a credential deleted or renamed on the token shows as GONE from token FOB… or RENAMED to '…')
`,
  session: `
Examples:
  $ token init
  $ provision --local create ${SEED} --path /service-user/ --user ${SEED}
  $ eval "$(provision --local session)"                # GetSessionToken with the token's code
  $ provision --local assume-role arn:aws:iam::123456789012:role/kjh-DuperRole --json
  {"AccessKeyId":"ASIA…",…,` +
    `"assumedRoleArn":"arn:aws:sts::123456789012:assumed-role/kjh-DuperRole/provision-1772366440",…}
  (no second code: the role is assumed from the MFA session the first command got, as AWS
   carries a GetSessionToken session's MFA context into AssumeRole; --direct sends the code
   with AssumeRole instead, for trust policies that bound aws:MultiFactorAuthAge)
  $ provision --local session --role arn:aws:iam::123456789012:role/kjh-DuperRole --credential-process
  {"Version":1,"AccessKeyId":"ASIA…","SecretAccessKey":"…","SessionToken":"…","Expiration":"…"}
  $ provision --local session --clear-cache
  removed 2 cached sessions from …/totp-fob/sessions

  ~/.aws/config, for real AWS:
    [profile fob]
    credential_process = provision session --role arn:aws:iam::123456789012:role/kjh-DuperRole --credential-process
  (the AWS CLI caches no process credentials; provision does: each answer is kept, 0600, in
   $XDG_CACHE_HOME/totp-fob/sessions until --refresh-window (15 min) before it expires, keyed
   by role, serial, duration, external id, session name, endpoint and source key; processes
   asking at once share one lock and one code; a code already handed out waits for the next step)
`,
  pair: `
Examples:
  $ token init
  $ provision --local create laptop
  arn:aws:iam::123456789012:mfa/laptop  Amazon Web Services:laptop@123456789012  token FOB97258251  not enabled
  $ provision --local enable --user ${SEED} --serial arn:aws:iam::123456789012:mfa/laptop
  enabled arn:aws:iam::123456789012:mfa/laptop for ${SEED} (codes of steps 59012345, 59012346)
  $ provision --local resync --user ${SEED} --serial arn:aws:iam::123456789012:mfa/laptop
  resynced arn:aws:iam::123456789012:mfa/laptop for ${SEED} (codes of steps 59012347, 59012348)
  (AWS refusing the two most recent codes gets one retry with the current step and the next,
   once the current one is unspent: at once when a step boundary passed in flight, else after a
   countdown on a terminal of up to 30 s under the real clock, whose first try spent its step)
  $ PROVISION_LOCAL_RESYNC_WINDOW=2880 provision --local resync --user ${SEED} ` +
    `--serial arn:aws:iam::123456789012:mfa/laptop
  (the local endpoint resyncs within ±20 steps; a wider window takes a token hours off)
`,
  remove: `
Examples:
  $ token init
  $ provision --local create old-laptop --user ${SEED}
  $ provision --local remove --serial arn:aws:iam::123456789012:mfa/old-laptop
  removed arn:aws:iam::123456789012:mfa/old-laptop: deactivated for ${SEED}, ` +
    `deleted from IAM, removed 'Amazon Web Services:old-laptop@123456789012' ` +
    `from token FOB97258251
  $ provision --local create spare
  $ provision --local remove --serial arn:aws:iam::123456789012:mfa/spare --json
  {"serialNumber":"arn:aws:iam::123456789012:mfa/spare","deactivated":null,"deleted":true,` +
    `"credential":"Amazon Web Services:spare@123456789012",` +
    `"token":"FOB97258251","notes":[]}
  (an assigned device is deactivated for the user IAM lists for it; --user names one instead)
`,
  localAws: `
Examples:
  $ provision local-aws
  local IAM/STS on http://127.0.0.1:4599 (account 123456789012); Ctrl-C stops it
  access key AKIAU3TLBWN7VJQZ2H4P for arn:aws:iam::123456789012:user/service-user/${SEED}
  (then the ~/.aws/credentials and ~/.aws/config lines for [${SEED}] and [profile kjh-DuperRole])

  $ provision local-aws --port 0 --state /tmp/aws.json --throttle 10 --json
  {"endpoint":"http://127.0.0.1:38211","accountId":"123456789012","userName":"${SEED}",…,` +
    `"roleArn":"arn:aws:iam::123456789012:role/kjh-DuperRole"}

  $ provision local-aws --resync-window 2880      # a lenient server: resyncs a token up to a day off

  # in another shell, with the banner's lines in ~/.aws:
  $ provision create ci-01 --user ${SEED} --profile ${SEED}
  $ aws --profile kjh-DuperRole sts get-caller-identity      # prompts: Enter MFA code for arn:…
`,
  policyCheck: `
Examples:
  $ echo '{"Version": "2012-10-17", "Statement": {"Sid": "ForceMFA", "Effect": "Deny", ` +
    `"NotAction": "iam:*", "Resource": "*", ` +
    `"Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}}' > force-mfa.json
  $ provision policy check force-mfa.json; echo "exit $?"
  force-mfa.json:1: error mfa-bool-deny ForceMFA: Deny with Bool on aws:MultiFactorAuthPresent "false": ` +
    `the key is absent for long-term access keys, so this Deny never fires for them …; ` +
    `fix: use "BoolIfExists" instead of "Bool": …
  1 file checked: 1 error, 0 warnings, 0 info
  exit 1
  $ sed 's/"Bool"/"BoolIfExists"/' force-mfa.json | provision policy check -
  -:1: warning deny-blocks-session ForceMFA: this Deny applies to long-term access keys ` +
    `and also denies sts:GetSessionToken, …
  1 file checked: 0 errors, 1 warning, 0 info
  $ provision policy check force-mfa.json --json > findings.json; echo "exit $?"
  exit 1
  (findings.json: [{"file":"force-mfa.json","statement":"ForceMFA","code":"mfa-bool-deny","severity":"error",…}];
   exit 0 when no finding is an error, 1 when one is, 2 when a file cannot be read)
`,
};

