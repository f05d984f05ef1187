// `npm start`: the seed scenario (an MFA-only role assumed with the token's code, as Kevin Hakanson's
// post "Using the Virtual MFA Device with the AWS CLI" does it) replayed offline and narrated.
// A temp local IAM/STS endpoint and a temp token share one simulated clock, so "30 s later" costs
// nothing; everything lives in one temp directory that is removed at the end.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostClock } from '../lib/clock.js';
import { isAws, connect, type AwsCallError } from './aws.js';
import { makeCtx, memoryIo, startLocal } from './context.js';
import { createOne } from './create.js';
import { startSession } from './sts.js';

const say = (s = '') => process.stdout.write(s + '\n');
const dim = (s: string) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[2m${s}\x1b[22m` : s);

async function main(): Promise<number> {
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'fob-demo-'));
  // One simulated clock for the endpoint and the token: a fixed instant that sleep() advances.
  const clock = hostClock(String(Math.floor(Date.now() / 1000)));
  const env = { ...process.env, XDG_STATE_HOME: dir };
  let local: Awaited<ReturnType<typeof startLocal>> | undefined;
  let ctx: ReturnType<typeof makeCtx> | undefined;
  let aws: Awaited<ReturnType<typeof connect>> | undefined;
  try {
    say('totp-fob: the AWS MFA seed scenario, offline (simulated clock, temp state)');
    say();
    local = await startLocal(clock, env, join(dir, 'local-aws.json'));
    const f = local.fixture;
    say(`1. A local IAM+STS endpoint on ${local.endpoint}`);
    say(dim(`   account ${f.accountId}, user ${f.userArn}`));
    say(dim(`   role ${f.roleArn}: trust policy requires aws:MultiFactorAuthPresent "true"`));
    aws = await connect({ endpointUrl: local.endpoint, region: 'us-east-1', credentials: { accessKeyId: f.accessKeyId,
      secretAccessKey: f.secretAccessKey }, env });
    const io = memoryIo();
    const device = join(dir, 'token.dev');
    ctx = makeCtx({ aws, clock, io, env, device, mappingPath: join(dir, 'provision.json'), local });
    const token = await ctx.openStore(device, true);
    await token.close();

    const name = f.userName;
    const path = /:user(\/.*\/)[^/]+$/.exec(f.userArn)?.[1] ?? '/';
    say();
    say(`2. $ provision create ${name} --path ${path} --user ${name}`);
    const res = await createOne({
      aws, token: await ctx.token(), clock, io, account: f.accountId, mappingPath: ctx.mappingPath,
      onStep: (step, d) => {
        if (step === 'create') say(
          `   CreateVirtualMFADevice → ${d.serial} (seed ${d.seedChars} base32 characters, QR PNG ${d.pngBytes} ` +
          `bytes)`);
        if (step === 'qr') {
          const l = d.label as { issuer?: string; account: string } | null;
          say(l ?
            `   QR decodes to otpauth://totp/${encodeURIComponent(l.issuer ?? '')}:${l.account}?secret=…; ` +
            `its secret equals the seed (constant-time compare)`
            : '   QR unreadable: using the seed');
        }
        if (step === 'enroll') say(`3. Burned into token ${d.token} as '${d.id}' (the seed never leaves it again)`);
        if (step === 'enable') {
          const s = d.steps as number[];
          say(`4. EnableMFADevice for ${d.user} with the token's codes of steps ${s[0]} and ${s[1]} → enabled`);
        }
      },
    }, { name, path, user: name });
    for (const w of io.warnings) say(`   warning: ${w}`);

    await clock.sleep(30_000);
    say(dim('   … 30 s later'));
    say();
    const role = f.roleArn;
    say(`5. $ aws sts assume-role --role-arn ${role} --role-session-name my-cli-session`);
    try {
      await startSession(ctx, { role, sessionName: 'my-cli-session', mfa: false });
      say('   unexpectedly allowed without MFA');
      return 1;
    } catch (e) {
      if (!isAws(e, 'AccessDenied')) throw e;
      say(`   AccessDenied: ${(e as AwsCallError).awsText}`);
    }
    say();
    say(`6. $ aws sts assume-role … --serial-number ${res.serialNumber} --token-code "$(token code --fresh)"`);
    const s = await startSession(ctx, { role, sessionName: 'my-cli-session', serial: res.serialNumber, direct: true,
      cache: false });
    say(`   allowed with the token's code of step ${s.step}: ${s.assumedRoleArn}`);
    say(dim(`   temporary key ${s.AccessKeyId}, expires ${s.Expiration}`));
    await ctx.close();
    ctx = undefined;

    say();
    say('7. $ token show');
    const shown = await tokenShow(device, clock.now(), env);
    for (const l of shown.trimEnd().split('\n')) say(`   ${l}`);
    say();
    say(dim(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s; nothing left behind`));
    return 0;
  } finally {
    await ctx?.close();
    aws?.destroy();
    await local?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The real `token show`, at the demo's simulated instant. */
function tokenShow(device: string, now: number, env: NodeJS.ProcessEnv): Promise<string> {
  const cli = fileURLToPath(new URL('../device/host/cli.cjs', import.meta.url));
  return new Promise((res, rej) => {
    const c = spawn(process.execPath, [cli, 'show', '--device', device], {
      env: { ...env, TOTP_FOB_NOW: String(Math.floor(now)), NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '', err = '';
    c.stdout.on('data', (b) => (out += b));
    c.stderr.on('data', (b) => (err += b));
    c.on('error', rej);
    c.on('close', (code) => (code === 0 ? res(out) : rej(new Error(
      `token show failed (exit ${code}): ${err.trim()}`))));
  });
}

main().then((code) => { process.exitCode = code; }, (e) => {
  process.stderr.write(`demo: ${(e as Error).message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exitCode = 1;
});
