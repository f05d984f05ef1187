#!/usr/bin/env node
// token: the host program of totp-fob's simulated hardware TOTP token.
//
//   $ token enroll 'otpauth://totp/GitHub:alice?secret=...'    the first enroll creates the token
//   $ token show                                              press the button, read the display
//   $ token code github                                       the bare code, for scripts
//
// `token --help` has the rest. `show` and `code` skip commander and load only what they need
// (`token show` starts about as fast as bare node). `npm run build` bundles this file with esbuild
// into dist/device/host/cli.cjs: one minified CommonJS file loads ~5 ms faster than ESM modules.
import { code, show } from './commands/codes.js';
import { context, fastPath, fail } from './context.js';

async function run(argv: string[]): Promise<void> {
  const fast = fastPath(argv);
  if (fast?.cmd === 'show') return show(context(fast.g), fast.query, fast.o);
  if (fast?.cmd === 'code') return code(context(fast.g), fast.query, fast.o);
  const { main } = await import('./program.js');
  return main(argv);
}

void run(process.argv.slice(2)).catch((e) => fail(e));
