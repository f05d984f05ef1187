// The local endpoint's account under kill -9: every change a client saw acknowledged is there
// after a restart, whatever instant the server died at (mid-append, mid-snapshot), and the state
// loads. Journal + snapshot (provision/local/journal.ts) under the real CLI process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { CreateUserCommand, CreateVirtualMFADeviceCommand, IAMClient, ListUsersCommand, ListVirtualMFADevicesCommand } from '@aws-sdk/client-iam';
import { PROVISION, tempDir } from '../helpers.js';

const ROUNDS = 6;

async function start(state: string): Promise<{ child: ChildProcess; iam: IAMClient; exit: Promise<unknown> }> {
  const child = spawn(process.execPath, [PROVISION, 'local-aws', '--port', '0', '--json', '--state', state], {
    env: { PATH: process.env.PATH, TOTP_FOB_NOW: '2030-01-01T00:00:10Z' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = new Promise((r) => child.on('exit', r));
  let out = '', err = '';
  child.stderr!.on('data', (d) => (err += d));
  const j = await new Promise<{ endpoint: string; accessKeyId: string; secretAccessKey: string }>((res, rej) => {
    child.stdout!.on('data', (d) => { out += d; if (out.includes('\n')) res(JSON.parse(out.slice(0, out.indexOf('\n')))); });
    void exit.then(() => rej(new Error(`local-aws exited before it was ready: ${err}`)));
  });
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const iam = new IAMClient({ region: 'us-east-1', endpoint: j.endpoint, credentials: { accessKeyId: j.accessKeyId, secretAccessKey: j.secretAccessKey }, maxAttempts: 1 });
  return { child, iam, exit };
}

async function everything(iam: IAMClient): Promise<{ devices: Set<string>; users: Set<string> }> {
  const devices = new Set<string>(), users = new Set<string>();
  let marker: string | undefined;
  do {
    const r = await iam.send(new ListVirtualMFADevicesCommand({ MaxItems: 1000, ...(marker ? { Marker: marker } : {}) }));
    for (const d of r.VirtualMFADevices ?? []) devices.add(d.SerialNumber!.split('/').pop()!);
    marker = r.IsTruncated ? r.Marker : undefined;
  } while (marker);
  do {
    const r = await iam.send(new ListUsersCommand({ MaxItems: 1000, ...(marker ? { Marker: marker } : {}) }));
    for (const u of r.Users ?? []) users.add(u.UserName!);
    marker = r.IsTruncated ? r.Marker : undefined;
  } while (marker);
  return { devices, users };
}

test(`${ROUNDS} kill -9 rounds under 8 concurrent writers: every acknowledged device and user survives, the state loads`, async () => {
  const t = tempDir('local-crash-');
  try {
    const state = join(t.dir, 'local-aws.json');
    const acked = { devices: new Set<string>(), users: new Set<string>() };
    const tried = new Set<string>();
    let total = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const s = await start(state);
      let n = 0, dead = false;
      const writer = async (w: number) => {
        while (!dead) {
          const name = `r${round}w${w}n${n++}`;
          tried.add(name);
          try {
            if (n % 3 === 0) { await s.iam.send(new CreateUserCommand({ UserName: name })); acked.users.add(name); }
            else { await s.iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: name })); acked.devices.add(name); }
          } catch { return; } // the server died under this request: it may or may not have landed
        }
      };
      const writers = Array.from({ length: 8 }, (_, w) => writer(w));
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 450));
      s.child.kill('SIGKILL');
      dead = true;
      await s.exit;
      await Promise.all(writers);
      s.iam.destroy();

      const again = await start(state); // takes the dead server's lock over
      const now = await everything(again.iam);
      for (const d of acked.devices) assert.ok(now.devices.has(d), `round ${round}: acknowledged device ${d} is gone`);
      for (const u of acked.users) assert.ok(now.users.has(u), `round ${round}: acknowledged user ${u} is gone`);
      for (const x of [...now.devices, ...now.users]) assert.ok(tried.has(x) || x === 'kjh-SuperDuperUser', `round ${round}: ${x} was never asked for`);
      total = acked.devices.size + acked.users.size;
      again.child.kill('SIGTERM');
      await again.exit;
      again.iam.destroy();
    }
    assert.ok(total > ROUNDS * 20, `only ${total} acknowledged writes in ${ROUNDS} rounds`);
    process.stderr.write(`local-crash: ${ROUNDS} kills, ${total} acknowledged writes, all present after restart\n`);
  } finally { t.done(); }
});

test.run();
