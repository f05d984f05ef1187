// Plumbing for provision's suites: a private HOME/XDG per test, the two CLIs as real processes,
// simulated instants, and a `provision local-aws` server process.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PROVISION, TOKEN, node, tempDir, type Run } from '../helpers.js';
import type { Test } from 'uvu';
import { readMapping } from '../../provision/mapping.js';

export const ACCOUNT = '123456789012';
export const USER = 'kjh-SuperDuperUser';
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/kjh-DuperRole`;
export const T0 = Date.parse('2026-03-01T12:00:10Z') / 1000;

/** TOTP_FOB_NOW for T0 + s seconds (a fixed instant). */
export const at = (s: number) => new Date((T0 + s) * 1000).toISOString();

export interface Box {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Runs `provision ARGS` at T0 + s. */
  p(args: string[], s?: number, extra?: NodeJS.ProcessEnv): Promise<Run>;
  /** Runs `token ARGS` at T0 + s. */
  t(args: string[], s?: number, extra?: NodeJS.ProcessEnv): Promise<Run>;
  mapping(): Record<string, { token: string; credential: string; name: string }>;
  done(): void;
}

export function box(prefix = 'fob-prov-'): Box {
  const { dir, done } = tempDir(prefix);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: dir, XDG_STATE_HOME: join(dir, 'state'), XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_CACHE_HOME: join(dir, 'cache'), NO_COLOR: '1', LANG: 'C.UTF-8',
    AWS_CONFIG_FILE: join(dir, 'aws-config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws-credentials'),
  };
  const mp = join(dir, 'state', 'totp-fob', 'provision.json');
  return {
    dir, env, done,
    p: (args, s = 0, extra = {}) => node(PROVISION, args, { env: { ...env, TOTP_FOB_NOW: at(s), ...extra } }),
    t: (args, s = 0, extra = {}) => node(TOKEN, args, { env: { ...env, TOTP_FOB_NOW: at(s), ...extra } }),
    // A plain copy: the mapping itself has no prototype, which deep-equality tells apart from {}.
    mapping: () => ({ ...readMapping(mp) }),
  };
}

export const serialOf = (name: string, path = '/') => `arn:aws:iam::${ACCOUNT}:mfa${path}${name}`;

/** Fails with both streams when a run did not end as expected. */
/**
 * Gives every test of suite `s` a fresh box holding a fresh token (`token init`), removed after it.
 * The Box returned always stands for the current test's.
 */
export function boxEach(s: Test): Box {
  let cur: Box | undefined;
  s.before.each(async () => {
    cur = box();
    expectExit(await cur.t(['init']), 0, 'token init');
  });
  s.after.each(() => cur?.done());
  const now = () => { if (!cur) throw new Error('boxEach: no test is running'); return cur; };
  return {
    get dir() { return now().dir; },
    get env() { return now().env; },
    p: (...a) => now().p(...a),
    t: (...a) => now().t(...a),
    mapping: () => now().mapping(),
    done: () => now().done(),
  };
}

export function expectExit(r: Run, code: number, what: string): Run {
  if (r.code !== code) {
    throw new Error(`${what}: exit ${r.code}, wanted ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
  return r;
}

export interface Server {
  endpoint: string;
  fixture: {
    accountId: string; userName: string; userArn: string; accessKeyId: string; secretAccessKey: string; roleArn: string;
    adminUserName: string; adminAccessKeyId: string; adminSecretAccessKey: string };
  /** Env that points the SDK (and the AWS CLI) at it with the fixture's keys. */
  awsEnv: NodeJS.ProcessEnv;
  /** The same with the administrator's key (setup work the seed user's policy does not allow). */
  adminEnv: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** `provision local-aws --port 0 --json [...]` as a process; resolves once it printed its line. */
export function localAws(b: Box, args: string[] = [], s = 0, extra: NodeJS.ProcessEnv = {}): Promise<Server> {
  return new Promise((res, rej) => {
    const child: ChildProcess = spawn(process.execPath, [PROVISION, 'local-aws', '--port', '0', '--json', ...args], {
      env: { ...b.env, TOTP_FOB_NOW: at(s), ...extra }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '', err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); rej(new Error(`local-aws did not start in 60 s: ${err}`));
    }, 60_000);
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) => { clearTimeout(timer); rej(new Error(`local-aws exited ${code}: ${err}`)); });
    child.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      const j = JSON.parse(out.slice(0, nl));
      const { endpoint, ...fixture } = j;
      res({
        endpoint, fixture,
        awsEnv: {
          AWS_ACCESS_KEY_ID: fixture.accessKeyId, AWS_SECRET_ACCESS_KEY: fixture.secretAccessKey,
          AWS_ENDPOINT_URL_IAM: endpoint, AWS_ENDPOINT_URL_STS: endpoint,
          AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1',
        },
        adminEnv: {
          AWS_ACCESS_KEY_ID: fixture.adminAccessKeyId, AWS_SECRET_ACCESS_KEY: fixture.adminSecretAccessKey,
          AWS_ENDPOINT_URL_IAM: endpoint, AWS_ENDPOINT_URL_STS: endpoint,
          AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1',
        },
        stop: () => new Promise((done) => {
          child.removeAllListeners('exit');
          if (child.exitCode !== null) return done();
          child.once('exit', () => done());
          child.kill('SIGTERM');
        }),
      });
    });
  });
}
