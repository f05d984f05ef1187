// The local endpoint's account under kill -9: every change a client saw acknowledged is there
// after a restart, whatever instant the server died at (mid-append, mid-snapshot), and the state
// loads. Journal + snapshot (lib/journal.ts) under the real CLI process. Kills are set
// by counts, not clocks: even rounds after a seeded number of acknowledged writes, odd rounds the
// instant a snapshot's temp file appears (a journal of TOTP_FOB_JOURNAL_BYTES=1 snapshots often),
// and the kills that landed mid-snapshot are counted against a floor. FUZZ_SEED=<n> replays a run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateUserCommand, CreateVirtualMFADeviceCommand, IAMClient, ListUsersCommand, ListVirtualMFADevicesCommand,
} from '@aws-sdk/client-iam';
import { rng } from '../../device/core/rng.js';
import { PROVISION, tempDir } from '../../helpers.js';

const ROUNDS = 8;
/** At least half the rounds that wait for a snapshot must die with its temp file on disk. */
const MIN_MID_SNAPSHOT = ROUNDS / 4;
/** A round that never sees a snapshot still ends, after this many acknowledged writes. */
const GIVE_UP = 600;
const R = rng();

// The mid-snapshot kill comes from a process of its own: this one's event loop is busy parsing the
// writers' responses, and the snapshot's temp file lives only while it is written and fsynced.
// Once armed (a line on stdin), it kills PID the instant a snapshot temp file appears in DIR.
const KILLER = `
const fs = require('node:fs');
const [dir, pid] = process.argv.slice(1);
let armed = false;
fs.watch(dir, (_e, name) => {
  if (armed && name && name.startsWith('local-aws.json.tmp-')) {
    try { process.kill(Number(pid), 'SIGKILL'); } catch {}
    process.exit(0);
  }
});
process.stdin.on('data', () => { armed = true; });
process.stdin.on('end', () => process.exit(0));
`;

async function start(state: string): Promise<{ child: ChildProcess; iam: IAMClient; exit: Promise<unknown> }> {
  const child = spawn(process.execPath, [PROVISION, 'local-aws', '--port', '0', '--json', '--state', state], {
    env: { PATH: process.env.PATH, TOTP_FOB_NOW: '2030-01-01T00:00:10Z', TOTP_FOB_JOURNAL_BYTES: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exit = new Promise((r) => child.on('exit', r));
  let out = '', err = '';
  child.stderr!.on('data', (d) => (err += d));
  const j = await new Promise<{ endpoint: string; adminAccessKeyId: string;
    adminSecretAccessKey: string }>((res, rej) => {
    child.stdout!.on('data', (d) => {
      out += d; if (out.includes('\n')) res(JSON.parse(out.slice(0, out.indexOf('\n'))));
    });
    void exit.then(() => rej(new Error(`local-aws exited before it was ready: ${err}`)));
  });
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const iam = new IAMClient({ region: 'us-east-1', endpoint: j.endpoint,
    credentials: { accessKeyId: j.adminAccessKeyId, secretAccessKey: j.adminSecretAccessKey }, maxAttempts: 1 });
  return { child, iam, exit };
}

async function everything(iam: IAMClient): Promise<{ devices: Set<string>; users: Set<string> }> {
  const devices = new Set<string>(), users = new Set<string>();
  let marker: string | undefined;
  do {
    const r = await iam.send(new ListVirtualMFADevicesCommand({
      MaxItems: 1000, ...(marker ? { Marker: marker } : {}),
    }));
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

test(`${ROUNDS} kill -9 rounds under 8 concurrent writers, half of them mid-snapshot: ` +
  `every acknowledged device and user survives, the state loads`, async () => {
  const t = tempDir('local-crash-');
  try {
    const state = join(t.dir, 'local-aws.json');
    const acked = { devices: new Set<string>(), users: new Set<string>() };
    const tried = new Set<string>();
    const temps = new Set<string>();
    let total = 0, midSnapshot = 0, tornJournal = 0;
    const kinds: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const s = await start(state);
      const onSnapshot = round % 2 === 1;
      const target = onSnapshot ? R.range(5, 40) : R.range(20, 80);
      let n = 0, inRound = 0, dead = false;
      const kill = () => { if (!dead) { dead = true; s.child.kill('SIGKILL'); } };
      const killer = onSnapshot
        ? spawn(process.execPath, ['-e', KILLER, t.dir, String(s.child.pid)], { stdio: ['pipe', 'ignore', 'inherit'] })
        : null;
      killer?.stdin!.on('error', () => {});
      const acknowledged = () => {
        inRound++;
        if (inRound === target) killer?.stdin!.write('arm\n');
        if ((!onSnapshot && inRound >= target) || inRound >= GIVE_UP) kill();
      };
      const writer = async (w: number) => {
        while (!dead) {
          const name = `r${round}w${w}n${n++}`;
          tried.add(name);
          try {
            if (n % 3 === 0) { await s.iam.send(new CreateUserCommand({ UserName: name })); acked.users.add(name); }
            else {
              await s.iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: name }));
              acked.devices.add(name);
            }
            acknowledged();
          } catch { return; } // the server died under this request: it may or may not have landed
        }
      };
      const writers = Array.from({ length: 8 }, (_, w) => writer(w));
      await s.exit;
      dead = true;
      killer?.stdin!.end();
      // What the dead server left: a snapshot's temp file (killed mid-snapshot), a torn journal line.
      const fresh = readdirSync(t.dir).filter((f) => f.startsWith('local-aws.json.tmp-') && !temps.has(f));
      for (const f of fresh) temps.add(f);
      if (fresh.length) midSnapshot++;
      let journal = '';
      try { journal = readFileSync(`${state}.journal`, 'utf8'); } catch { /* none yet */ }
      if (journal && !journal.endsWith('\n')) tornJournal++;
      kinds.push(`${onSnapshot ? 'snapshot' : 'count'}:${inRound}${fresh.length ? '*' : ''}`);
      await Promise.all(writers);
      s.iam.destroy();

      const again = await start(state); // takes the dead server's lock over
      const now = await everything(again.iam);
      for (const d of acked.devices) assert.ok(now.devices.has(d),
        `round ${round}: acknowledged device ${d} is gone (seed ${R.seed})`);
      for (const u of acked.users) assert.ok(now.users.has(u),
        `round ${round}: acknowledged user ${u} is gone (seed ${R.seed})`);
      for (const x of [...now.devices, ...now.users]) assert.ok(
        tried.has(x) || x === 'kjh-SuperDuperUser' || x === 'local-admin', `round ${round}: ${x} was never asked for`);
      total = acked.devices.size + acked.users.size;
      again.child.kill('SIGTERM');
      await again.exit;
      again.iam.destroy();
    }
    const report = `local-crash (seed ${R.seed}): ${ROUNDS} kills, ${total} acknowledged writes, ` +
      `all present after restart; ${midSnapshot} kills mid-snapshot (floor ${MIN_MID_SNAPSHOT}), ` +
      `${tornJournal} with a torn journal line; rounds (kind:acks, * mid-snapshot): ${kinds.join(' ')}\n`;
    process.stderr.write(report);
    assert.ok(total >= ROUNDS * 5, `only ${total} acknowledged writes: ${report}`);
    assert.ok(midSnapshot >= MIN_MID_SNAPSHOT, `only ${midSnapshot} kills landed mid-snapshot: ${report}`);
  } finally { t.done(); }
});

test.run();
