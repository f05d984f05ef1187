// `provision create --user` end to end against the local endpoint (create, QR decode and compare,
// enroll, enable with two codes): in one process, as a CLI process, and as a --concurrency 8 batch
// with one token store per device; and `npm start` (the demo) wall time.
// The peer is the same flow done the aws-vault way: two AWS CLI
// processes (create-virtual-mfa-device --outfile, enable-mfa-device) around the token.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { base32Decode } from '../device/core/index.js';
import { openToken } from '../device/host/api.js';
import { hostClock } from '../lib/clock.js';
import { connect } from '../provision/aws.js';
import { createMany } from '../provision/batch.js';
import { makeCtx, memoryIo } from '../provision/context.js';
import { createOne } from '../provision/create.js';
import { startLocalAws } from '../provision/local/server.js';
import { ROOT, tempDir } from '../test/helpers.js';

const median = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
const NOW = '2027-01-01T00:00:10Z';

function proc(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const c = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => (code === 0 ? res(performance.now() - t0)
      : rej(new Error(`${cmd} ${args.slice(0, 3).join(' ')}: exit ${code}: ${err.trim()}`))));
  });
}

/** `provision local-aws --json` as a child process, with the seed user's and the administrator's keys. */
export function localAwsProcess(state: string, env: NodeJS.ProcessEnv): Promise<{
  endpoint: string; accessKeyId: string; secretAccessKey: string;
  adminAccessKeyId: string; adminSecretAccessKey: string; stop(): Promise<void>;
}> {
  return new Promise((res, rej) => {
    const c = spawn(process.execPath,
      [join(ROOT, 'dist/provision/cli.cjs'), 'local-aws', '--port', '0', '--json', '--state', state],
      { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    c.stderr.on('data', (d) => (err += d));
    c.on('exit', (code) => rej(new Error(`local-aws exited ${code}: ${err}`)));
    c.stdout.on('data', (d) => {
      out += d;
      if (!out.includes('\n')) return;
      const j = JSON.parse(out.slice(0, out.indexOf('\n')));
      res({ ...j, stop: () => new Promise<void>((done) => {
        c.removeAllListeners('exit'); c.once('exit', () => done()); c.kill('SIGTERM');
      }) });
    });
  });
}

export async function bench(): Promise<string> {
  const t = tempDir('fob-bench-prov-');
  const clock = hostClock(NOW);
  const srv = await startLocalAws({ statePath: join(t.dir, 'local.json'), clock });
  const f = srv.fixture;
  // The administrator provisions for other users, as setup work does (the seed user may only manage its own).
  const aws = await connect({ endpointUrl: srv.endpoint,
    credentials: { accessKeyId: f.adminAccessKeyId, secretAccessKey: f.adminSecretAccessKey } });
  const io = memoryIo();
  const lines: string[] = [];
  try {
    // A user holds at most 8 MFA devices: one user per enabled device.
    const USERS = 40;
    await Promise.all(Array.from({ length: USERS },
      (_, i) => aws.iam.send(new aws.I.CreateUserCommand({ UserName: `u${i}` }))));
    let u = 0;
    const mapping = join(t.dir, 'provision.json');

    // 1. In one process, warm: open the token (boot + POST), create … enable, close.
    const one = async (name: string) => {
      const token = await openToken({ device: join(t.dir, `${name}.dev`), clock, create: true });
      try {
        await createOne({ aws, token, clock, io, account: f.accountId, mappingPath: mapping },
          { name, user: `u${u++}` });
      } finally { await token.close(); }
    };
    await one('warm-0'); await one('warm-1');
    const inproc: number[] = [];
    for (let i = 0; i < 21; i++) {
      const t0 = performance.now(); await one(`one-${i}`); inproc.push(performance.now() - t0);
    }
    lines.push(`provision create --user, end to end (create, QR check, enroll, enable)`);
    lines.push(`  in one process, warm                  median ${median(inproc).toFixed(1)} ms  (target < 300 ms)`);

    // 2. The same as a CLI process against the same endpoint (process start, SDK load, boot).
    const cliEnv = {
      PATH: process.env.PATH, HOME: t.dir, XDG_STATE_HOME: join(t.dir, 'xdg'), TOTP_FOB_NOW: NOW,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: f.adminAccessKeyId, AWS_SECRET_ACCESS_KEY: f.adminSecretAccessKey,
      AWS_ENDPOINT_URL_IAM: srv.endpoint, AWS_ENDPOINT_URL_STS: srv.endpoint,
    };
    const cli: number[] = [];
    for (let i = 0; i < 7; i++) {
      cli.push(await proc(process.execPath, [join(ROOT, 'dist/provision/cli.cjs'), 'create', `cli-${i}`,
        '--user', `u${u++}`, '--device-dir', join(t.dir, 'cli')], cliEnv));
    }
    lines.push(`  as a CLI process (node dist/…/cli.cjs)  median ${median(cli).toFixed(0)} ms`);

    // 3. Batch: --concurrency 8, one token store per device, with and without enabling; the
    //    endpoint in its own process (`provision local-aws`), as AWS would be elsewhere. Under the
    //    simulated clock (as above) the token records no steps; under the real clock it records
    //    each pair it hands out, one more store write per device. Median of 3 rounds of 96.
    const batchLines: string[] = [];
    for (const real of [false, true]) {
      const env = real ? { ...cliEnv, TOTP_FOB_NOW: '' } : cliEnv;
      const bclock = real ? hostClock() : clock;
      const remote = await localAwsProcess(join(t.dir, `remote-${real}.json`), env);
      const raws = await connect({ endpointUrl: remote.endpoint,
        credentials: { accessKeyId: remote.adminAccessKeyId, secretAccessKey: remote.adminSecretAccessKey } });
      try {
        await Promise.all(Array.from({ length: 300 },
          (_, i) => raws.iam.send(new raws.I.CreateUserCommand({ UserName: `r${i}` }))));
        const ctx = makeCtx({ aws: raws, clock: bclock, io, mappingPath: join(t.dir, `batch-${real}.json`) });
        let r = 0, k = 0;
        const batch = async (n: number, enable: boolean) => {
          const tag = `${real ? 'real' : 'sim'}-${k++}`;
          const items = Array.from({ length: n },
            (_, i) => ({ name: `${tag}-${i}`, ...(enable ? { user: `r${r++}` } : {}) }));
          const t0 = performance.now(), c0 = process.cpuUsage();
          await createMany(ctx, items, { concurrency: 8, deviceDir: join(t.dir, tag) }, true);
          const c = process.cpuUsage(c0);
          // The client is one thread: its CPU per device bounds the rate on any number of cores.
          return { rate: n / ((performance.now() - t0) / 1000), cpu: (c.user + c.system) / 1000 / n };
        };
        const rounds = async (enable: boolean) => {
          const rs = [await batch(96, enable), await batch(96, enable), await batch(96, enable)]
            .sort((x, y) => x.rate - y.rate);
          return `${rs[1]!.rate.toFixed(0)} devices/s  (range ${rs[0]!.rate.toFixed(0)}–${rs[2]!.rate.toFixed(0)}; ` +
            `client CPU ${rs[1]!.cpu.toFixed(1)} ms/device`;
        };
        await batch(16, false);
        if (!real) batchLines.push(`${'  create + QR check + enroll'.padEnd(40)}${await rounds(false)})`);
        batchLines.push(`${`  … + enable, ${real ? 'real' : 'simulated'} clock`.padEnd(40)}` +
          `${await rounds(true)}; target ≥ 100)`);
      } finally { raws.destroy(); await remote.stop(); }
    }
    lines.push(`batch --concurrency 8 --device-dir (a token store per device; ` +
      `endpoint in its own process; median of 3 × 96)`);
    lines.push(...batchLines);

    // 4. `npm start`: the narrated seed scenario as a fresh process; it must exit 0 in under 5 s.
    const demo: number[] = [];
    for (let i = 0; i < 3; i++) demo.push(await proc(process.execPath, [join(ROOT, 'dist/provision/demo.js')],
      { PATH: process.env.PATH, HOME: t.dir, NO_COLOR: '1' }));
    lines.push(`npm start (node dist/provision/demo.js), exit 0   ` +
      `median ${(median(demo) / 1000).toFixed(2)} s  (target < 5 s)`);

    // 5. Peer: the aws-vault contrib script's shape — two AWS CLI processes around the token.
    if (spawnSync('python3', ['-c', 'import awscli'], { stdio: 'ignore' }).status === 0) {
      const peer: number[] = [];
      for (let i = 0; i < 5; i++) {
        const out = join(t.dir, `peer-${i}.b32`);
        const t0 = performance.now();
        await proc('python3', ['-m', 'awscli', 'iam', 'create-virtual-mfa-device',
          '--virtual-mfa-device-name', `peer-${i}`,
          '--outfile', out, '--bootstrap-method', 'Base32StringSeed'], cliEnv);
        const token = await openToken({ device: join(t.dir, `peer-${i}.dev`), clock, create: true });
        const { id } = await token.enroll({ account: `peer-${i}@${f.accountId}`, issuer: 'Amazon Web Services',
          secret: base32Decode(readFileSync(out, 'utf8')), type: 'totp', algorithm: 'SHA1',
          digits: 6, period: 30, counter: 0 });
        const [a, b] = await token.freshPair(id, 'recent');
        await token.close();
        await proc('python3', ['-m', 'awscli', 'iam', 'enable-mfa-device', '--user-name', `u${u++}`,
          '--serial-number', `arn:aws:iam::${f.accountId}:mfa/peer-${i}`,
          '--authentication-code1', a.code, '--authentication-code2', b.code], cliEnv);
        peer.push(performance.now() - t0);
      }
      lines.push(`peer: AWS CLI v1 create-virtual-mfa-device + token enroll + enable-mfa-device (2 processes)`);
      lines.push(`  median ${median(peer).toFixed(0)} ms per device (no QR check)`);
    } else lines.push('peer: skipped (python3 cannot import awscli)');
    return lines.join('\n');
  } finally {
    aws.destroy();
    await srv.close();
    t.done();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) bench().then((s) => console.log(s));
