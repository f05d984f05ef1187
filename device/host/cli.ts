#!/usr/bin/env node
// token: the host program of totp-fob's simulated hardware TOTP token.
//
//   $ token enroll 'otpauth://totp/GitHub:alice?secret=...'    the first enroll creates the token
//   $ token show                                              press the button, read the display
//   $ token code github                                       the bare code, for scripts
//
// `token --help` has the rest. `show` is what people run all day, so it skips commander and
// loads only what drawing the display needs (issue 4: start about as fast as bare node).
import { fastShow } from './fast-path.js';
import { fail } from './fail.js';

async function run(argv: string[]): Promise<void> {
  const fast = fastShow(argv);
  if (fast) {
    const [{ context }, { show }] = await Promise.all([import('./context.js'), import('./commands/show.js')]);
    return show(context(fast.g), fast.query, fast.o);
  }
  const { main } = await import('./program.js');
  return main(argv);
}

// Output piped into `head` must not end in an EPIPE stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0); });
await run(process.argv.slice(2)).catch((e) => fail(e));
