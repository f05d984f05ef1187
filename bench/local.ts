// The local IAM/STS endpoint under the JS SDK over real HTTP: start-up, signed calls per second,
// CreateVirtualMFADevice (seed + QR PNG + atomic save) and MFA AssumeRole (code check + save).
import { join } from 'node:path';
import { CreateVirtualMFADeviceCommand, EnableMFADeviceCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { totp } from '../device/core/index.js';
import { hostClock } from '../lib/clock.js';
import { startLocalAws } from '../provision/local/server.js';
import { tempDir } from '../test/helpers.js';

const median = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;

async function timed(n: number, f: (i: number) => Promise<unknown>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) { const t0 = performance.now(); await f(i); ms.push(performance.now() - t0); }
  return ms;
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
    await sts.send(new GetCallerIdentityCommand({})); // warm the SDK and the connection

    const seq = await timed(200, () => sts.send(new GetCallerIdentityCommand({})));
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
    return [
      `local IAM/STS (JS SDK over HTTP, 127.0.0.1)`,
      `  start-up (new state, lock, listen)     ${startMs.toFixed(1)} ms`,
      `  GetCallerIdentity sequential           median ${median(seq).toFixed(2)} ms  ` +
        `(${(1000 / median(seq)).toFixed(0)}/s)`,
      `  GetCallerIdentity 400 concurrent       ${parRate.toFixed(0)}/s`,
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
