// Every `token` command on commander (loaded lazily: `token show` takes a faster road, cli.ts).
import { fileURLToPath } from 'node:url';
import { packageVersion } from '../../lib/paths.js';
import { Command, CommanderError, Option } from 'commander';
import { code, press, show } from './commands/codes.js';
import { enroll, list, remove, rename } from './commands/creds.js';
import { access, apdu, info, init, reset, selftest, time } from './commands/device.js';
import { context, type TokenCtx, type Globals } from './context.js';
import { ABOUT, EXAMPLES, examplesOf } from './help.js';

type Action<O> = (ctx: TokenCtx, args: string[], opts: O, globals: Globals) => Promise<void>;

/** Wraps an action: global flags in, positional arguments and this command's options out. */
const act = <O>(f: Action<O>) => async (...a: unknown[]) => {
  const cmd = a[a.length - 1] as Command;
  const g = cmd.optsWithGlobals() as Globals;
  await f(context(g), a.slice(0, -2).flat() as string[], cmd.opts() as O, g);
};
const json = () => new Option('--json', 'print JSON for machines');

export function program(): Command {
  const p = new Command('token')
    .description(ABOUT)
    .option('--device <path>', 'the token store (default: TOKEN_DEVICE, else $XDG_STATE_HOME/totp-fob/token.dev)')
    .option('--at <time>',
      'simulated host time for this command: ISO 8601, Unix seconds, or +30d / -2h (like TOTP_FOB_NOW)')
    .option('--trace', 'log every APDU pair to stderr (PUT and SET CODE data redacted)')
    .version(packageVersion(fileURLToPath(import.meta.url)), '-V, --version', 'print the version')
    .addHelpText('after', EXAMPLES)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: () => {} });

  p.command('init').description('manufacture a new token').option('--serial <s>', 'serial number (default: random)')
    .option('--drift-ppm <n>', "clock drift in ppm, or 'random' (within ±20)").addOption(json())
    .action(act((ctx, _a, o: { serial?: string; driftPpm?: string; json?: boolean }) => init(ctx, o)));
  p.command('info').description('identity, capacity, clock and drift').addOption(json())
    .action(act((ctx, _a, o: { json?: boolean }) => info(ctx, o)));
  p.command('time').argument('[action]', "'sync' sets the device clock from the host")
    .description('device time against host time')
    .option('--force', 'let sync set the clock backwards').addOption(json())
    .action(act((ctx, a, o: { force?: boolean; json?: boolean }) => time(ctx, a[0], o)));
  p.command('reset').description('factory wipe: every credential and the access code').option('--yes', 'do not ask')
    .action(act((ctx, _a, o: { yes?: boolean }) => reset(ctx, o)));
  p.command('enroll')
    .argument('[source...]', 'otpauth:// or otpauth-migration:// URIs, PNGs with QR codes, PSKC files, ' +
      'or - for stdin; all of them are enrolled together, or none')
    .description('add credentials, all or none, each verified by reading codes back after a power cycle ' +
      '(the first enroll creates the token)')
    .option('--secret <base32>', "the secret ('-' reads stdin; TOKEN_SECRET also works)")
    .option('--name <name>', 'account name').option('--issuer <issuer>', 'issuer')
    .option('--algorithm <alg>', 'SHA1, SHA256 or SHA512').option('--digits <n>', '6 to 8')
    .option('--period <s>', '1 to 300 seconds')
    .option('--hotp', 'counter-based (HOTP) instead of TOTP').option('--counter <n>', 'HOTP starting counter')
    .option('--touch', 'require a button press for codes over the APDU face')
    .option('--pskc-key <hex>', "a PSKC file's pre-shared key ('-' reads stdin; TOKEN_PSKC_KEY also works)")
    .option('--pskc-password <pw>',
      "a PSKC file's password ('-' reads stdin; TOKEN_PSKC_PASSWORD also works; asked on a terminal)")
    .option('--serial <s>', 'only the PSKC KeyPackage of this device serial (or Key Id)')
    .option('--device-dir <dir>', 'one token per PSKC device serial, at DIR/SERIAL.dev, as a factory line would')
    .addOption(json())
    .action(act((ctx, a, o, g) =>
      enroll(ctx, a, { ...(o as object), ...(g.device !== undefined ? { device: g.device } : {}) })));
  p.command('list').description('credentials (metadata only, never codes)').addOption(json())
    .action(act((ctx, _a, o: { json?: boolean }) => list(ctx, o)));
  p.command('delete').argument('<query>').description('delete one credential')
    .action(act((ctx, a) => remove(ctx, a[0]!)));
  p.command('rename').argument('<query>').argument('<new>', 'new [issuer:]name').description('rename one credential')
    .action(act((ctx, a) => rename(ctx, a[0]!, a[1]!)));
  p.command('show').argument('[query]').description('press the button and read the display')
    .addOption(json()).option('--watch', 'redraw at every step until Ctrl-C (terminal only)')
    .action(act((ctx, a, o: { json?: boolean; watch?: boolean }) => show(ctx, a[0], o)));
  p.command('code').argument('[query]', 'which credential (default: the only one)')
    .description('print one code, bare, for scripts')
    .option('--fresh', 'a step never handed out before (waits for the next when this one is used)').addOption(json())
    .action(act((ctx, a, o: { fresh?: boolean; json?: boolean }) => code(ctx, a[0], o)));
  p.command('access').argument('<action>', 'set, change or clear').description('manage the access code')
    .action(act((ctx, a) => access(ctx, a[0]!)));
  p.command('press').argument('[query]').description('press the button (opens the 15 s touch window)')
    .action(act((ctx, a) => press(ctx, a[0])));
  p.command('selftest').description('run every RFC vector through the core').addOption(json())
    .action(act((ctx, _a, o: { json?: boolean }) => selftest(ctx, o)));
  p.command('apdu').argument('<hex...>', 'APDUs in hex, one per argument')
    .description('send raw APDUs, print the answers')
    .option('--raw', 'do not SELECT the OATH applet first').addOption(json())
    .action(act((ctx, a, o: { raw?: boolean; json?: boolean }) => apdu(ctx, a, o)));
  p.command('attach')
    .description('be the card in a pcscd virtual reader (vsmartcard-vpcd) until Ctrl-C, ' +
      'for ykman and other PC/SC software')
    .option('--vpcd <host:port>', 'where vpcd listens', '127.0.0.1:35963')
    .action(act(async (ctx, _a, o: { vpcd: string }) => {
      const { attach, parseVpcdAddress } = await import('./attach.js');
      const { accessCode } = await import('./context.js');
      const { interactive } = await import('./terminal.js');
      process.exitCode = await attach({
        device: ctx.path, vpcd: parseVpcdAddress(o.vpcd), clock: ctx.clock,
        accessCode: () => accessCode(),
        allowLastTry: process.env.TOKEN_ACCESS_CODE === undefined && interactive(),
        io: {
          info: (l) => { if (process.stderr.isTTY) process.stderr.write(l + '\n'); },
          ...(ctx.trace ? { trace: ctx.trace } : {}),
        },
      });
    }));
  for (const c of p.commands) c.addHelpText('after', examplesOf(c.name()));
  return p;
}

/** Where to look next: the help of the command argv names, else token's own. */
function helpHint(p: Command, argv: readonly string[]): string {
  const names = new Set(p.commands.map((c) => c.name()));
  const cmd = argv.find((a, i) => names.has(a) && !['--device', '--at'].includes(argv[i - 1] ?? ''));
  return `(see token ${cmd ? cmd + ' ' : ''}--help)`;
}

export async function main(argv: string[]): Promise<void> {
  // Help piped into `head` must not end in an EPIPE stack trace (data goes through writeOut).
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  const p = program();
  try {
    await p.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return;
      // `token` alone prints the help to stderr: a usage error.
      if (e.code === 'commander.help' || e.code === 'commander.executeSubCommandAsync') {
        process.exitCode = 2;
        return;
      }
      const msg = e.message.split('\n').filter(Boolean).join(' ');
      throw Object.assign(new Error(`${msg} ${helpHint(p, argv)}`), { code: 'E_USAGE' });
    }
    throw e;
  }
}
