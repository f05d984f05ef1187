#!/usr/bin/env node
// provision: AWS IAM virtual MFA devices, from CreateVirtualMFADevice to a token AWS accepts.
//
//   $ provision --local create kjh-SuperDuperUser --path /service-user/ --user kjh-SuperDuperUser
// arn:aws:iam::123456789012:mfa/service-user/kjh-SuperDuperUser  Amazon Web Services:kjh-SuperDuperUser@123456789012 
// token FOB97258251  enabled for kjh-SuperDuperUser
//   $ provision --local session --role arn:aws:iam::123456789012:role/kjh-DuperRole --json
//
// A credential_process runs this once per `aws` call: a cached session and --version are answered
// here, before commander or the AWS SDK loads (cache-hit.ts); everything else is program.ts.
import { hostClock } from '../lib/clock.js';
import { packageVersion } from '../lib/paths.js';
import { fastSession } from './cache-hit.js';

function fast(argv: string[]): boolean {
  if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
    try { process.stdout.write(`${packageVersion(process.argv[1]!)}\n`); return true; } catch { return false; }
  }
  let now: number;
  try { now = hostClock(process.env.TOTP_FOB_NOW).now(); } catch { return false; }
  try { return fastSession(argv, process.env, now); } catch { return false; }
}

// No top-level await: the file may be bundled as CommonJS.
if (!fast(process.argv.slice(2))) void import('./program.js').then(({ main }) => main(process.argv));
