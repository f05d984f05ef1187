// The session broker's cache hit: `provision session --role … --credential-process`, once cached,
// against bare `node -e 0` (target ≤ 1.3×, and no AWS SDK loaded), runs interleaved so machine
// noise hits both alike. Then three `aws sts get-caller-identity` through the credential_process
// profile against the same three with static keys (target: at most three hits more).
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { hitModules, weigh } from '../test/provision/modules.js';
import { join } from 'node:path';
import { hostClock } from '../lib/clock.js';
import { startLocalAws } from '../provision/local/server.js';
import { ROOT, tempDir } from '../test/helpers.js';

const PROVISION = join(ROOT, 'dist/provision/cli.cjs');
const TOKEN = join(ROOT, 'dist/device/host/cli.cjs');
// A simulated instant in the past: codes match the endpoint's clock, and entries (which expire on
// STS's real clock) stay fresh, as a simulated time can only bring expiry closer.
const NOW = '2026-03-01T12:00:10Z';
const USER = 'kjh-SuperDuperUser';
const median = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;

export async function bench(): Promise<string> {
  const t = tempDir('fob-bench-session-');
  const srv = await startLocalAws({ statePath: join(t.dir, 'local.json'), clock: hostClock(NOW) });
  const lines: string[] = [];
  try {
    const f = srv.fixture;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, HOME: t.dir, XDG_STATE_HOME: join(t.dir, 'state'), XDG_CACHE_HOME: join(t.dir, 'cache'),
      AWS_CONFIG_FILE: join(t.dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(t.dir, 'credentials'),
      AWS_ENDPOINT_URL_IAM: srv.endpoint, AWS_ENDPOINT_URL_STS: srv.endpoint, TOTP_FOB_NOW: NOW, AWS_PAGER: '',
      AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    writeFileSync(env.AWS_SHARED_CREDENTIALS_FILE!,
      `[${USER}]\naws_access_key_id = ${f.accessKeyId}\n` +
      `aws_secret_access_key = ${f.secretAccessKey}\n`, { mode: 0o600 });
    const hit = [PROVISION, 'session', '--role', f.roleArn, '--credential-process', '--profile', USER];
    writeFileSync(env.AWS_CONFIG_FILE!, `[profile ${USER}]\nregion = us-east-1\n\n[profile fob]\n` +
      `credential_process = ${process.execPath} ${hit.join(' ')}\nregion = us-east-1\n`);
    // Asynchronous: the endpoint answers from this process.
    const must = (args: string[], extra: NodeJS.ProcessEnv = {},
      cmd = process.execPath) => new Promise<{ stdout: string }>((res, rej) => {
      const c = spawn(cmd, args, { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '', stderr = '';
      c.stdout.on('data', (d) => (stdout += d)); c.stderr.on('data', (d) => (stderr += d));
      c.on('close', (code) => (code === 0 ? res({ stdout })
        : rej(new Error(`${args.slice(0, 3).join(' ')}: exit ${code}: ${stderr}`))));
    });
    await must([TOKEN, 'init']);
    await must([PROVISION, 'create', USER, '--path', '/service-user/', '--user', USER, '--profile', USER]);
    const first = JSON.parse((await must(
      [...hit.slice(0, -1), USER, '--json'].filter((a) => a !== '--credential-process'),
      { TOTP_FOB_NOW: '2026-03-01T12:00:40Z' })).stdout);
    if (first.cached) throw new Error('the first call should have made the session');

    // The hit path's modules, as node's ESM loader resolves them: no AWS SDK, no commander.
    const files = hitModules(t.dir, hit, env);
    const { heavy, bytes } = weigh(files);

    const runs: Record<string, { argv: string[]; t: number[] }> = {
      'node -e 0': { argv: ['-e', '0'], t: [] },
      'session --credential-process (hit)': { argv: hit, t: [] },
    };
    for (let i = 0; i < 31; i++) {
      for (const c of Object.values(runs)) {
        const t0 = performance.now();
        // A miss would call the endpoint in this (blocked) process: the timeout turns that into an error.
        const r = spawnSync(process.execPath, c.argv, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
        c.t.push(performance.now() - t0);
        if (r.status !== 0) throw new Error(`${c.argv.join(' ')}: exit ${r.status}`);
      }
    }
    const bare = median(runs['node -e 0']!.t);
    for (const [name, c] of Object.entries(runs)) {
      const m = median(c.t);
      lines.push(`${name.padEnd(36)} ${m.toFixed(1).padStart(7)} ms  ` +
        `min ${Math.min(...c.t).toFixed(1).padStart(6)} ms  ${(m / bare).toFixed(2)}× bare node`);
    }
    lines.push(`  hit: ${(median(runs['session --credential-process (hit)']!.t) / bare).toFixed(2)}× bare node ` +
      `(target ≤ 1.30×); ${files.length} modules (${(bytes / 1024).toFixed(1)} KB of JS), ` +
      `SDK or commander among them: ${heavy.length ? heavy.join(', ') : 'none'}`);

    if (spawnSync('python3', ['-c', 'import awscli'], { stdio: 'ignore' }).status === 0) {
      const aws = async (profile: string, extra: NodeJS.ProcessEnv = {}) => {
        const t0 = performance.now();
        for (let i = 0; i < 3; i++) await must(['-m', 'awscli', ...(profile ? ['--profile', profile] : []),
          'sts', 'get-caller-identity'], extra, 'python3');
        return performance.now() - t0;
      };
      const keys = { AWS_ACCESS_KEY_ID: first.AccessKeyId, AWS_SECRET_ACCESS_KEY: first.SecretAccessKey,
        AWS_SESSION_TOKEN: first.SessionToken, AWS_DEFAULT_REGION: 'us-east-1' };
      const st: number[] = [], cp: number[] = [];
      for (let i = 0; i < 5; i++) { st.push(await aws('', keys)); cp.push(await aws('fob')); }
      const hitMs = median(runs['session --credential-process (hit)']!.t);
      lines.push(`3 × aws sts get-caller-identity, static keys          median ${median(st).toFixed(0)} ms`);
      lines.push(`3 × aws sts get-caller-identity, credential_process   median ${median(cp).toFixed(0)} ms  ` +
        `(target ≤ static + 3 hits = ${(median(st) + 3 * hitMs).toFixed(0)} ms)`);
    } else lines.push('(AWS CLI not installed: the three-call comparison is skipped)');
    return lines.join('\n');
  } finally {
    await srv.close();
    t.done();
  }
}
