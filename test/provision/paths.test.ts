// Paths the user hands provision (--qr-out, --device-dir, XDG_STATE_HOME, PROVISION_STATE) and the
// profile they name: checked before anything is created, failing fast (never spinning, as Node's
// recursive mkdir does under /proc), each with one line that says what is wrong and what to do.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expectExit, boxEach } from './lib.js';

const P = suite('paths and profiles');
const b = boxEach(P);

const iam = async () => JSON.parse(expectExit(await b.p(['--local', 'list', '--json']), 0, 'list').stdout) as unknown[];
const oneLine = (s: string) => { assert.is(s.trim().split('\n').length, 1, s); return s; };

P('a bad --qr-out is a usage error before CreateVirtualMFADevice: nothing is created', async () => {
  writeFileSync(join(b.dir, 'afile'), 'x');
  mkdirSync(join(b.dir, 'pngs', 'd1.png'), { recursive: true });
  const cases: [string[], RegExp][] = [
    [['d1', '--qr-out', join(b.dir, 'missing', 'd1.png')],
      new RegExp(/^provision: --qr-out .*missing\/d1\.png: /.source +
      /the directory .*missing does not exist: create it first, or pick another path\n$/.source)],
    [['d1', '--qr-out', join(b.dir, 'afile', 'd1.png')],
      /--qr-out .*: .*afile is not a directory: pick another path\n$/],
    [['d1', '--qr-out', join(b.dir, 'pngs')],
      /^provision: --qr-out: .*pngs\/d1\.png is a directory: move it away, or pick another --qr-out\n$/],
    [['d1', 'd2', '--qr-out', join(b.dir, 'afile')],
      /^provision: --qr-out .*afile must be a directory when creating several devices\n$/],
    [['d1', 'd2', '--qr-out', join(b.dir, 'no', 'such', 'dir')],
      /^provision: --qr-out .*no\/such\/dir: the directory .*no\/such does not exist/],
  ];
  for (const [args, want] of cases) {
    const r = expectExit(await b.p(['--local', 'create', ...args]), 2, args.join(' '));
    assert.match(oneLine(r.stderr), want);
  }
  assert.equal(await iam(), [], 'no device was created (and none rolled back)');
  // A batch --qr-out whose parent exists is created, one level.
  const ok = expectExit(await b.p(['--local', 'create', 'd1', 'd2', '--qr-out', join(b.dir, 'new-pngs')]), 0,
    'new dir');
  assert.is(ok.stdout.trim().split('\n').length, 2);
});

P('under /proc nothing spins: --qr-out, --device-dir and XDG_STATE_HOME fail at once with one line', async () => {
  const t0 = Date.now();
  const q = expectExit(await b.p(['--local', 'create', 'p1', '--qr-out', '/proc/nope/p1.png']), 2, 'qr-out /proc');
  assert.match(oneLine(q.stderr), /the directory \/proc\/nope does not exist/);
  const d = expectExit(await b.p(['--local', 'create', 'p1', 'p2', '--device-dir', '/proc/nope/tokens']), 1,
    'device-dir /proc');
  assert.match(oneLine(d.stderr), new RegExp(/^provision: cannot create --device-dir \/proc\/nope\/tokens /.source +
    /\(\/proc\/nope\): ENOENT, no such file or directory: pick a writable directory\n$/.source));
  const x = expectExit(await b.p(['--local', 'list'], 0, { XDG_STATE_HOME: '/proc/nope' }), 1, 'XDG_STATE_HOME /proc');
  assert.match(oneLine(x.stderr), new RegExp(
    /^provision: cannot create the directory of \/proc\/nope\/totp-fob\/local-aws\.json: /.source +
    /ENOENT.*: point XDG_STATE_HOME .* at a writable place\n$/.source));
  // The mapping is written after enrolling: its failure is one line, and everything is rolled back.
  const m = expectExit(await b.p(['--local', 'create', 'p1'], 0, { PROVISION_STATE: '/proc/nope/p.json' }), 1,
    'state /proc');
  assert.match(oneLine(m.stderr), new RegExp(
    /^provision: cannot write provision's state \/proc\/nope\/p\.json /.source +
    /\(\/proc\/nope\): ENOENT, no such file or directory: /.source +
    /point XDG_STATE_HOME or PROVISION_STATE at a writable place; /.source +
    /rolled back: removed 'Amazon Web Services:p1@123456789012' from token FOB\d{8}, /.source +
    /deleted IAM device arn:aws:iam::123456789012:mfa\/p1\n$/.source));
  assert.ok(Date.now() - t0 < 120_000, 'all four end (a spin would not; a loaded machine only slows them)');
  assert.equal(await iam(), []);
});

P('PROVISION_STATE naming a directory says so (not "chmod 600")', async () => {
  const dir = join(b.dir, 'statedir');
  mkdirSync(dir);
  const r = expectExit(await b.p(['--local', 'list'], 0, { PROVISION_STATE: dir }), 1, 'state is a dir');
  assert.is(oneLine(r.stderr), `provision: ${dir} is a directory, not provision's state file: ` +
    `point PROVISION_STATE at a file (e.g. ${dir}/provision.json), or unset it\n`);
  assert.not.match(r.stderr, /chmod/);
});

P('--profile (or AWS_PROFILE) naming no profile says it was not found, and where it looked', async () => {
  writeFileSync(b.env.AWS_CONFIG_FILE!, '[profile work]\nregion = eu-west-1\n');
  const r = expectExit(await b.p(['list', '--profile', 'nosuch', '--endpoint-url', 'http://127.0.0.1:9']), 1,
    'no such profile');
  assert.match(oneLine(r.stderr.replace(/^provision: warning: .*\n/, '')),
    `provision: ListVirtualMFADevices: profile 'nosuch' was not found in ${b.env.AWS_CONFIG_FILE} or ` +
    `${b.env.AWS_SHARED_CREDENTIALS_FILE}: check its name`);
  const env = expectExit(await b.p(['list', '--endpoint-url', 'http://127.0.0.1:9'], 0, { AWS_PROFILE: 'nosuch' }), 1,
    'AWS_PROFILE');
  assert.match(env.stderr, /profile 'nosuch' was not found/);
  const keyless = expectExit(await b.p(['list', '--profile', 'work', '--endpoint-url', 'http://127.0.0.1:9']), 1,
    'profile without keys');
  assert.match(keyless.stderr,
    /profile 'work' gave no credentials: give it aws_access_key_id\/aws_secret_access_key in /);
  const none = expectExit(await b.p(['list', '--endpoint-url', 'http://127.0.0.1:9']), 1, 'no profile at all');
  assert.match(none.stderr, /ListVirtualMFADevices: no AWS credentials found: pass --profile/);
});

P.run();
