// `token access set|change|clear`: the YKOATH access code. Codes come from a no-echo prompt on a
// terminal, or TOKEN_ACCESS_CODE (the current one) and TOKEN_NEW_ACCESS_CODE (for change).
import type { TokenCtx } from '../context.js';
import { HostError } from '../errors.js';
import { askSecret, interactive } from '../terminal.js';
import { checkNewAccessCode, MIN_ACCESS_CODE } from '../token.js';

async function newCode(envName: string): Promise<string> {
  const env = process.env[envName];
  if (env !== undefined) {
    if (!env) throw new HostError('E_USAGE', `${envName} is empty`);
    checkNewAccessCode(env);
    return env;
  }
  if (!interactive()) throw new HostError('E_USAGE', `no terminal to ask for the new access code on: set ${envName}`);
  const a = await askSecret(`New access code (at least ${MIN_ACCESS_CODE} characters): `);
  if (!a) throw new HostError('E_USAGE', 'the access code is empty');
  checkNewAccessCode(a);
  if ((await askSecret('Repeat it: ')) !== a) throw new HostError('E_USAGE', 'the two codes differ; nothing changed');
  return a;
}

export async function access(ctx: TokenCtx, action: string): Promise<void> {
  if (!['set', 'change', 'clear'].includes(action)) {
    throw new HostError('E_USAGE', `unknown access action '${action}' (use set, change or clear)`);
  }
  // Look before unlocking: `access set` on a locked token must not spend a try on the new code.
  const peek = await ctx.open({ unlock: false });
  let set: boolean;
  try { set = (await peek.info()).accessCode; } finally { await peek.close(); }
  if (action === 'set' && set) {
    throw new HostError('E_EXISTS', 'an access code is already set: use `token access change`');
  }
  if (action !== 'set' && !set) throw new HostError('E_NO_MATCH', 'no access code is set: use `token access set`');
  // A new code that will be refused costs no unlock: it is read first, unless a person is to be
  // asked for the current code before the new one.
  const next = action === 'set' ? await newCode('TOKEN_ACCESS_CODE')
    : action === 'change' && process.env.TOKEN_NEW_ACCESS_CODE !== undefined
      ? await newCode('TOKEN_NEW_ACCESS_CODE') : undefined;
  const token = await ctx.open();
  try {
    if (action === 'set') {
      await token.setAccessCode(next!);
      return ctx.out(`access code set on token ${token.serial}: ` +
        'it is asked at every use, and 8 wrong tries wipe the token\n');
    }
    if (action === 'change') {
      await token.setAccessCode(next ?? await newCode('TOKEN_NEW_ACCESS_CODE'));
      return ctx.out(`access code changed on token ${token.serial}\n`);
    }
    await token.clearAccessCode();
    ctx.out(`access code removed from token ${token.serial}\n`);
  } finally { await token.close(); }
}
