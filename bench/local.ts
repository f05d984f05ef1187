// The local IAM/STS endpoint under the JS SDK over real HTTP: start-up, signed calls per second,
// CreateVirtualMFADevice (seed + QR PNG + atomic save) and MFA AssumeRole (code check + save); and the
// cost of one policy decision over a 20-statement set (the engine every IAM call goes through).
import { join } from 'node:path';
import {
  CreateVirtualMFADeviceCommand, EnableMFADeviceCommand, IAMClient, ListMFADevicesCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { totp } from '../device/core/index.js';
import { hostClock } from '../lib/clock.js';
import { FORCE_MFA_POLICY, SELF_MANAGE_MFA } from '../provision/local/fixture.js';
import { evaluate } from '../provision/policy/engine.js';
import { startLocalAws } from '../provision/local/server.js';
import { tempDir } from '../test/helpers.js';
import { localAwsProcess } from './provision.js';

const median = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;

/** Warms the SDK, the connection and both JITs: the steady state of a server, not its first second. */
async function warm(sts: STSClient): Promise<void> {
  for (let i = 0; i < 500; i++) await sts.send(new GetCallerIdentityCommand({}));
}

async function timed(n: number, f: (i: number) => Promise<unknown>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) { const t0 = performance.now(); await f(i); ms.push(performance.now() - t0); }
  return ms;
}

/**
 * The endpoint as users run it, `provision local-aws` in its own process (so client and server do
 * not share a core), answering GetCallerIdentity with 16 calls in flight after a warm-up.
 */
async function servedRate(dir: string): Promise<number> {
  const c = await localAwsProcess(join(dir, 'served.json'), process.env);
  try {
    const sts = new STSClient({ region: 'us-east-1', endpoint: c.endpoint, maxAttempts: 1,
      credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey } });
    await warm(sts);
    const N = 2000;
    let sent = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (sent < N) { sent++; await sts.send(new GetCallerIdentityCommand({})); }
    }));
    sts.destroy();
    return N / ((performance.now() - t0) / 1000);
  } finally { await c.stop(); }
}

/**
 * One decision over a 20-statement set: AWS's self-manage-MFA example (5 statements, variables,
 * Bool and BoolIfExists) and 15 more with wildcards, NotResource and String/Numeric conditions.
 */
function decisionCost(): { us: number; statements: number } {
  const extra = Array.from({ length: 15 }, (_, i) => ({
    Sid: `S${i}`, Effect: i % 5 === 0 ? 'Deny' : 'Allow',
    Action: [`iam:Get${i}*`, `s3:*Object${i}`, 'ec2:Describe?nstances'],
    ...(i % 3 === 0 ? { NotResource: 'arn:aws:iam::*:user/admins/*' }
      : { Resource: [`arn:aws:iam::*:user/\${aws:username}/${i}/*`] }),
    Condition: { StringLike: { 'aws:PrincipalTag/team': [`team-${i}*`] },
      NumericLessThanIfExists: { 'aws:MultiFactorAuthAge': '3600' } },
  }));
  const sources = [
    { id: 'SelfManageMFA', type: 'user-managed' as const, doc: SELF_MANAGE_MFA.doc },
    { id: 'ForceMFA', type: 'user-managed' as const, doc: FORCE_MFA_POLICY.doc },
    { id: 'extra', type: 'user' as const, doc: JSON.stringify({ Version: '2012-10-17', Statement: extra }) },
  ];
  const ctx = new Map<string, string>([['aws:username', 'kjh-SuperDuperUser'], ['aws:principaltag/team', 'team-7x'],
    ['aws:multifactorauthpresent', 'true'], ['aws:multifactorauthage', '120']]);
  const reqs = [
    { action: 'iam:EnableMFADevice', resource: 'arn:aws:iam::123456789012:user/service-user/kjh-SuperDuperUser' },
    { action: 'iam:CreateUser', resource: 'arn:aws:iam::123456789012:user/mallory' },
    { action: 's3:GetObject7', resource: 'arn:aws:iam::123456789012:user/kjh-SuperDuperUser/7/x' },
  ];
  const n = 30_000;
  for (let i = 0; i < 2000; i++) evaluate(sources, { ...reqs[i % 3]!, ctx });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) evaluate(sources, { ...reqs[i % 3]!, ctx });
  const statements = sources.reduce((k, x) => k + (JSON.parse(x.doc) as { Statement: unknown[] }).Statement.length, 0);
  return { us: ((performance.now() - t0) / n) * 1000, statements };
}

export async function bench(): Promise<string> {
  const t = tempDir('fob-bench-local-');
  const clock = hostClock('2027-01-01T00:00:10Z');
  const t0 = performance.now();
  const srv = await startLocalAws({ statePath: join(t.dir, 'state.json'), port: 0, clock });
  const startMs = performance.now() - t0;
  try {
    const cfg = {
      region: 'us-east-1', endpoint: srv.endpoint, maxAttempts: 1,
      credentials: { accessKeyId: srv.fixture.accessKeyId, secretAccessKey: srv.fixture.secretAccessKey },
    };
    const iam = new IAMClient(cfg), sts = new STSClient(cfg);
    await warm(sts);

    const seq = await timed(500, () => sts.send(new GetCallerIdentityCommand({})));
    const c0 = performance.now();
    await Promise.all(Array.from({ length: 400 }, () => sts.send(new GetCallerIdentityCommand({}))));
    const parRate = 400 / ((performance.now() - c0) / 1000);

    const create = await timed(20, (i) =>
      iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: `bench-${i}` })));
    const d = await iam.send(new CreateVirtualMFADeviceCommand({
      VirtualMFADeviceName: 'kjh-SuperDuperUser', Path: '/service-user/',
    }));
    const seed = new TextDecoder().decode(d.VirtualMFADevice!.Base32StringSeed);
    const serial = d.VirtualMFADevice!.SerialNumber!;
    const step = () => Math.floor(clock.now() / 30);
    await iam.send(new EnableMFADeviceCommand({
      UserName: 'kjh-SuperDuperUser', SerialNumber: serial,
      AuthenticationCode1: totp(seed, (step() - 1) * 30), AuthenticationCode2: totp(seed, step() * 30),
    }));
    const assume = await timed(50, async () => {
      await clock.sleep(30_000); // a fresh step per call: codes are single-use
      await sts.send(new AssumeRoleCommand({
        RoleArn: srv.fixture.roleArn, RoleSessionName: 'bench', SerialNumber: serial,
        TokenCode: totp(seed, step() * 30),
      }));
    });
    const listMine = await timed(100, () => iam.send(new ListMFADevicesCommand({})));
    const cost = decisionCost();
    const served = await servedRate(t.dir);
    return [
      `local IAM/STS (JS SDK over HTTP, 127.0.0.1)`,
      `  policy decision, ${cost.statements}-statement set       ${(cost.us / 1000).toFixed(4)} ms  (target < 0.2 ms)`,
      `  ListMFADevices (authorized by policy)  median ${median(listMine).toFixed(2)} ms`,
      `  start-up (new state, lock, listen)     ${startMs.toFixed(1)} ms`,
      `  GetCallerIdentity sequential           median ${median(seq).toFixed(2)} ms  ` +
        `(${(1000 / median(seq)).toFixed(0)}/s)`,
      `  GetCallerIdentity 400 concurrent       ${parRate.toFixed(0)}/s  (client and server in one process)`,
      `  GetCallerIdentity, local-aws process   ${served.toFixed(0)}/s  (16 in flight; target ≥ 1,000/s)`,
      `  CreateVirtualMFADevice (seed+QR+save)  median ${median(create).toFixed(1)} ms  ` +
        `(first ${create[0]!.toFixed(0)} ms: loads qrcode)`,
      `  AssumeRole with MFA (check+save)       median ${median(assume).toFixed(2)} ms`,
    ].join('\n');
  } finally {
    await srv.close();
    t.done();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await bench());
