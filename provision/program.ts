// The `provision` program as commander parses it: everything but the answers cli.ts gives before
// commander loads (a cached session, --version).
//
// Data goes to stdout; warnings, progress and countdowns to stderr (the last two on a TTY only).
// Errors are one line on stderr; exit 1 when something failed, 2 for usage.
import { Command, CommanderError, Option } from 'commander';
import { HostError } from '../device/host/errors.js';
import { checkNames, createMany, readList, type Item } from './batch.js';
import { stdio, withCtx, type CommonOptions, type Io } from './context.js';
import { enableDevice, resyncDevice, type PairOutcome } from './pair.js';
import { ProvisionError, usage } from './errors.js';
import { STEPS } from './create.js';
import { EXAMPLES } from './examples.js';
import { packageVersion } from '../lib/paths.js';
import { render, type SessionOptions } from './cache-hit.js';
import { parseWindow } from './cache.js';

const io: Io = stdio();

function common(c: Command): Command {
  return c
    .option('--profile <name>', 'AWS shared-config profile (default: the SDK credential chain)')
    .option('--region <region>', 'STS region (IAM is global); default AWS_REGION or us-east-1')
    .option('--endpoint-url <url>', 'one endpoint for IAM and STS (else AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_STS)')
    .option('--local', 'start the embedded IAM/STS endpoint in-process (also PROVISION_LOCAL=1)')
    .option('--device <path>', 'token store (else TOKEN_DEVICE, else $XDG_STATE_HOME/totp-fob/token.dev)')
    .option('--json', 'print data as JSON');
}

const int = (name: string, lo: number, hi: number) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < lo || Number(v) > hi) throw usage(
    `${name} must be a whole number from ${lo} to ${hi}, not '${v}'`);
  return Number(v);
};
const window = (v: string) => {
  const s = parseWindow(v);
  if (s === null) throw usage(
    `--refresh-window wants seconds or a duration like 15m or 1h (at most a day), not '${v}'`);
  return s;
};
const tag = (v: string, prev: { Key: string; Value: string }[] = []) => {
  const i = v.indexOf('=');
  if (i < 1) throw usage(`--tag wants KEY=VALUE, not '${v}'`);
  return [...prev, { Key: v.slice(0, i), Value: v.slice(i + 1) }];
};

// Options before the subcommand (`provision --local create …`) count as well as after it.
const opts = <T>(c: Command) => c.optsWithGlobals() as T & CommonOptions;

function pairLine(r: PairOutcome, json?: boolean): string {
  if (json) return JSON.stringify({ serialNumber: r.serialNumber, userName: r.userName, credential: r.credential, [
    r.action]: true, steps: r.steps, retried: r.retried });
  return `${r.action} ${r.serialNumber} for ${r.userName} (codes of steps ${r.steps.join(', ' +
    '')}${r.retried ? ', after a retry' : ''})`;
}

function program(): Command {
  const p = common(new Command('provision'))
    .description('Create AWS IAM virtual MFA devices, burn them into the token, enable them, and use them with STS.')
    .version(packageVersion(process.argv[1]!), '-V, --version', 'print provision\'s version')
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(`provision: ${s.replace(/^error: /, '')}`) })
    .addHelpText('after', `
The seed scenario, offline (npm start narrates the same):
  $ token init
  $ provision --local create kjh-SuperDuperUser --path /service-user/ --user kjh-SuperDuperUser
  arn:aws:iam::123456789012:mfa/service-user/kjh-SuperDuperUser  ` +
    `Amazon Web Services:kjh-SuperDuperUser@123456789012  ` +
    `token FOB97258251  enabled for kjh-SuperDuperUser
  $ provision --local assume-role arn:aws:iam::123456789012:role/kjh-DuperRole --no-mfa
  provision: AssumeRole: AccessDenied: User: arn:aws:iam::123456789012:user/service-user/kjh-SuperDuperUser ` +
    `is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/kjh-DuperRole. ` +
    `The role's trust policy allows it only with MFA (Condition Bool aws:MultiFactorAuthPresent "true"): ` +
    `drop --no-mfa so the token's code is sent
  $ provision --local assume-role arn:aws:iam::123456789012:role/kjh-DuperRole --json
  {"AccessKeyId":"ASIA…",…,` +
    `"assumedRoleArn":"arn:aws:sts::123456789012:assumed-role/kjh-DuperRole/provision-1772366440",…}

Environment: AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL_STS, PROVISION_LOCAL=1,
PROVISION_LOCAL_RESYNC_WINDOW (steps ResyncMFADevice looks either side of now; default 20), TOKEN_DEVICE,
TOTP_FOB_NOW (simulated time), XDG_STATE_HOME (provision.json, local-aws.json, each with a .journal
of recent changes beside it: move them together), PROVISION_STATE (the mapping file). ` +
    `Exit status: 0 ok, 1 failed, 2 usage.
--local waits up to 10 s for another \`provision --local\` on the same state; a \`provision local-aws\`
server holding it is not waited for: use --endpoint-url with its keys. The endpoint enforces identity
policies, so --local signs IAM calls with its administrator's key and STS calls with the seed user's.
PROVISION_FAIL_AT=create|seed|qr-out|qr|enroll|enable fails \`create\` right after that step (tests only).`);

  common(p.command('create').argument('[names...]', 'device names (VirtualMFADeviceName)'))
    .summary('create virtual MFA devices, burn them into the token, enable them with --user')
    .description(
      'CreateVirtualMFADevice, check its QR against its seed, enroll it into the token and, with --user, ' +
      'EnableMFADevice with two consecutive codes. A failure rolls back everything done, unless --keep.')
    .option('--path <path>', 'IAM path, e.g. /service-user/')
    .option('--user <user>', 'enable the device for this IAM user')
    .option('--tag <key=value>', 'tag the device (repeatable)', tag)
    .option('--qr-out <file|dir>', 'save QRCodePNG (mode 0600); a directory when creating several')
    .option('--keep', 'on failure, keep what was done instead of rolling back')
    .option('--from <file>', 'names from a file: one "NAME [USER]" per line, # comments')
    .addOption(new Option('--concurrency <n>', 'devices in flight at once').argParser(int('--concurrency', 1,
      64)).default(1))
    .option('--device-dir <dir>', 'one token store per device (DIR/NAME.dev), as a factory line would')
    .addHelpText('after', EXAMPLES.create)
    .action(async (names: string[], _o, c: Command) => {
      const o = opts<{ path?: string; user?: string; tag?: {
        Key: string; Value: string }[]; qrOut?: string; keep?: boolean; from?: string; concurrency: number;
        deviceDir?: string }>(c);
      const items: Item[] = [...names.map((n) => (o.user ? { name: n, user: o.user } : { name: n })),
        ...(o.from ? readList(o.from).map((it) => (it.user || !o.user ? it : { ...it, user: o.user })) : [])];
      if (items.length === 0) throw usage('create needs NAME... or --from FILE');
      checkNames(items);
      const failAt = process.env.PROVISION_FAIL_AT || undefined;
      if (failAt && !(STEPS as readonly string[]).includes(failAt)) throw usage(
        `PROVISION_FAIL_AT must be one of ${STEPS.join(', ')}`);
      const batch = items.length > 1 || !!o.from || !!o.deviceDir;
      // A batch meets throttling by design: more attempts, each backing off (adaptive mode).
      await withCtx({ ...o, maxAttempts: batch ? 12 : undefined }, io, (ctx) => createMany(ctx, items, {
        path: o.path, tags: o.tag, qrOut: o.qrOut, keep: o.keep, concurrency: o.concurrency, deviceDir: o.deviceDir,
          json: o.json, failAt,
      }, batch));
    });

  for (const what of ['enable', 'resync'] as const) {
    common(p.command(what))
      .summary(what === 'enable'
        ? 'EnableMFADevice with two consecutive codes from the token'
        : 'ResyncMFADevice: tell AWS where a drifted token\'s clock is')
      .requiredOption('--user <user>', 'IAM user')
      .requiredOption('--serial <arn>', 'the device\'s serial ARN')
      .option('--credential <id>', 'the token credential, when provision did not burn it')
      .addHelpText('after', EXAMPLES.pair)
      .action(async (_o, c: Command) => {
        const o = opts<{ user: string; serial: string; credential?: string }>(c);
        await withCtx(o, io, async (ctx) => {
          const r = await (what === 'enable' ? enableDevice : resyncDevice)(ctx,
            { user: o.user, serial: o.serial, credential: o.credential });
          io.out(pairLine(r, o.json));
        });
      });
  }

  common(p.command('remove'))
    .summary('deactivate and delete a device, and remove its credential from the token')
    .requiredOption('--serial <arn>', 'the device\'s serial ARN')
    .option('--user <user>', 'deactivate it for this user first (default: the user IAM lists for it)')
    .option('--credential <id>', 'the token credential, when provision did not burn it')
    .addHelpText('after', EXAMPLES.remove)
    .action(async (_o, c: Command) => {
      const o = opts<{ serial: string; user?: string; credential?: string }>(c);
      const { removeDevice } = await import('./remove.js');
      await withCtx(o, io, async (ctx) => {
        const r = await removeDevice(ctx, { serial: o.serial, user: o.user, credential: o.credential });
        if (o.json) { io.out(JSON.stringify(r)); return; }
        const did = [r.deactivated && `deactivated for ${r.deactivated}`, r.deleted && 'deleted from IAM',
          r.credential && `removed '${r.credential}' from token ${r.token}`].filter(Boolean);
        io.out(`removed ${r.serialNumber}: ${did.join(', ') || 'nothing to do'}`);
        for (const n of r.notes) io.warn(`${r.serialNumber}: ${n}`);
      });
    });

  common(p.command('list'))
    .summary('IAM\'s virtual MFA devices, with which user has them and whether this token holds them')
    .addHelpText('after', EXAMPLES.list)
    .action(async (_o, c: Command) => {
      const o = opts<object>(c);
      const { listDevices, formatRows } = await import('./list.js');
      await withCtx(o, io, async (ctx) => {
        let view = null;
        try {
          const t = await ctx.token(false); // listing is no reason to make a token
          view = { serial: t.serial, credentials: await t.list() };
        } catch (e) {
          if ((e as HostError).code !== 'E_NO_DEVICE') throw e;
          io.warn('no token attached: showing IAM and the mapping only');
        }
        const rows = await listDevices(ctx, view);
        if (o.json) io.out(JSON.stringify(rows));
        else for (const l of formatRows(rows)) io.out(l);
      });
    });

  const session = (c: Command, role: boolean) => common(c)
    .option('--serial <arn>', 'MFA serial (default: the caller\'s device that this token holds)')
    .option('--credential <id>', 'the token credential, when provision did not burn it')
    .option('--session-name <name>', 'RoleSessionName (default provision-<unix time>)')
    .option('--external-id <id>', 'ExternalId, when the role\'s trust policy asks for one')
    .addOption(new Option('--duration <seconds>',
      'DurationSeconds (AssumeRole 900-43200, default 3600; GetSessionToken 900-129600, default 43200)').argParser(
      int('--duration', 900, 129600)))
    .option('--credential-process', 'print the AWS CLI credential_process JSON (Version 1)')
    .addOption(new Option('--refresh-window <duration>',
      'renew cached credentials this long before they expire (900, 15m, 1h)').argParser(window).default(900, '15m'))
    .option('--no-cache', 'neither read nor write the session cache')
    .option('--clear-cache', 'remove every cached session, and stop')
    .option('--no-mfa', 'send no code (to see what the policy says without MFA); never cached')
    .addHelpText('after', EXAMPLES.session)
    .action(async (...a: unknown[]) => {
      const c = a[a.length - 1] as Command;
      const o = opts<SessionOptions & { clearCache?: boolean }>(c);
      const { checkSession, clearSessions, startSession } = await import('./sts.js');
      if (o.clearCache) {
        const r = await clearSessions(process.env);
        io.out(o.json ? JSON.stringify(
          r) : `removed ${r.removed} cached session${r.removed === 1 ? '' : 's'} from ${r.dir}`);
        return;
      }
      const so: SessionOptions = { ...o, ...(role ? { role: a[0] as string } : {}) };
      // Before anything is opened or sent: a refused call would have spent the code it carried.
      checkSession(so);
      await withCtx(o, io, async (ctx) => { io.out(render(await startSession(ctx, so), so)); });
    });
  session(p.command('session'), false)
    .summary('temporary credentials with the token\'s code, cached: GetSessionToken, or AssumeRole with --role')
    .option('--role <arn>', 'AssumeRole into this role, from an MFA session (GetSessionToken) cached for the serial')
    .option('--direct', 'with --role: one AssumeRole call carrying the code, no MFA session in between');
  session(p.command('assume-role').argument('<role-arn>', 'the role to assume'), true)
    .summary('AssumeRole with the token\'s code (same as session --role)')
    .option('--direct', 'one AssumeRole call carrying the code, no MFA session in between');

  const policy = p.command('policy').summary('check IAM policies for the MFA traps')
    .description('IAM policies, offline.');
  policy.command('check').argument('<files...>', 'policy JSON files (- reads standard input)')
    .summary('lint MFA policies: Bool vs BoolIfExists, MFA age operators, ${aws:username}, ' +
      'a Deny that blocks enrollment')
    .description('Each finding names the statement (Sid or Statement[i]), what is wrong, why it matters and the fix. ' +
      'Exit 0 when no finding is an error (warnings and info allowed), 1 when one is, 2 when a file cannot be read.')
    .option('--json', 'print [{file, statement, code, severity, message, fix, line}]')
    .addHelpText('after', EXAMPLES.policyCheck)
    .action(async (files: string[], _o, c: Command) => {
      const { policyCheck } = await import('./policy/check.js');
      process.exitCode = await policyCheck(files, c.optsWithGlobals() as { json?: boolean }, {
        out: (l) => io.out(l), err: (l) => process.stderr.write(`${l}\n`) });
    });

  p.command('local-aws')
    .summary('serve the embedded IAM/STS endpoint on 127.0.0.1 until Ctrl-C')
    .option('--port <n>', 'port (default 4599; 0 = any free one)')
    .option('--state <file>', 'state file (default $XDG_STATE_HOME/totp-fob/local-aws.json)')
    .option('--json', 'print one JSON line with the endpoint and fixture once ready')
    .option('--throttle <rate>', 'answer requests beyond RATE per second with Throttling')
    .option('--resync-window <steps>',
      'ResyncMFADevice looks STEPS either side of now (default 20, up to 2880; also PROVISION_LOCAL_RESYNC_WINDOW)')
    .option('--open', 'do not enforce identity policies: every signed caller may call every action')
    .addHelpText('after', EXAMPLES.localAws)
    .action(async (_o, c: Command) => {
      // --json may land on the program (it has one too): read both.
      const o = c.optsWithGlobals() as {
        port?: string; state?: string; json?: boolean; throttle?: string; resyncWindow?: string; open?: boolean };
      const { runLocalAwsCommand } = await import('./local/command.js');
      process.exitCode = await runLocalAwsCommand(o,
        { stdout: process.stdout, stderr: process.stderr, verbose: !!process.stderr.isTTY });
    });

  return p;
}

function fail(e: unknown): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
    return 2; // commander has printed its one line already
  }
  const err = e as Error & { code?: string; exit?: number };
  const code = err instanceof ProvisionError ? err.exit : err instanceof HostError && err.code === 'E_USAGE' ? 2 : 1;
  const msg = String(err?.message ?? e).replace(/\s*\n\s*/g, ' ');
  process.stderr.write(`provision: ${msg}\n`);
  return code;
}

export async function main(argv: string[]): Promise<void> {
  // Help or data piped into `head` must not end in an EPIPE stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) =>
    { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); });
  try {
    await program().parseAsync(argv);
    process.exitCode ??= 0;
  } catch (e) { process.exitCode = fail(e); }
}
