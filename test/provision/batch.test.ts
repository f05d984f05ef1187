// `provision create` as a factory line: --from, --concurrency against a throttling
// `provision local-aws --throttle`, one token store per device, QR files, JSON lines, partial failure.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { PROVISION, TOKEN, node, oracle, run } from '../helpers.js';
import { startLocalAws } from '../../provision/local/server.js';
import { hostClock } from '../../lib/clock.js';
import { openToken } from '../../device/host/api.js';
import { randomBytes } from 'node:crypto';
import { ACCOUNT, USER, at, box, expectExit, localAws, serialOf } from './lib.js';

const B = suite('batch create');

B('24 devices, 8 at a time, through a server throttling at 10 requests/s: all created, enabled where ' +
  'asked', async () => {
  const b = box();
  const srv = await localAws(b, ['--throttle', '10']);
  try {
    const names = Array.from({ length: 24 }, (_, i) => `line-${String(i).padStart(2, '0')}`);
    writeFileSync(join(b.dir, 'staff.txt'),
      `# factory run 1\n${names.map((n, i) => (i % 3 === 0 ? `${n} ${USER}` : n)).join('\n')}\n\n`);
    const devs = join(b.dir, 'tokens'), qrs = join(b.dir, 'qr');
    const r = expectExit(await b.p(['create', '--from', join(b.dir, 'staff.txt'), '--concurrency', '8',
      '--device-dir', devs, '--qr-out', qrs, '--json'], 0, srv.awsEnv), 0, 'batch');
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.is(lines.length, 24);
    assert.equal(lines.map((l) => l.serialNumber).sort(), names.map((n) => serialOf(n)));
    for (const l of lines) {
      const i = Number(l.serialNumber.slice(-2));
      assert.is(l.enabled, i % 3 === 0, l.serialNumber);
      assert.is(l.credential, `Amazon Web Services:line-${String(i).padStart(2, '0')}@${ACCOUNT}`);
    }
    assert.is(new Set(lines.map((l) => l.token)).size, 24, 'one token per device');
    assert.equal(readdirSync(devs).filter((f) => f.endsWith('.dev')).sort(), names.map((n) => `${n}.dev`));
    assert.equal(readdirSync(qrs).sort(), names.map((n) => `${n}.png`));
    for (const f of readdirSync(qrs)) assert.is(statSync(join(qrs, f)).mode & 0o777, 0o600);
    // Each store holds its one credential, and its code is the device's.
    const one = await node(TOKEN, ['list', '--json', '--device', join(devs, 'line-05.dev')],
      { env: { ...b.env, TOTP_FOB_NOW: at(0) } });
    assert.equal(JSON.parse(one.stdout).map((c: { id: string }) => c.id), [`Amazon Web Services:line-05@${ACCOUNT}`]);
    const listed = JSON.parse(expectExit(await b.p(['list', '--json'], 0, srv.awsEnv), 0, 'list').stdout);
    assert.is(listed.length, 24);
    assert.is(listed.filter((x: { assigned: boolean }) => x.assigned).length, 8);
  } finally { await srv.stop(); b.done(); }
});

B('the SDK\'s adaptive backoff rides out the Throttling answers (counted at the server)', async () => {
  const b = box();
  const answers: string[] = [];
  const srv = await startLocalAws({
    statePath: join(b.dir, 'local.json'), throttle: 5, clock: hostClock(at(0)), log: (l) => answers.push(l),
  });
  try {
    const env = {
      AWS_ACCESS_KEY_ID: srv.fixture.accessKeyId, AWS_SECRET_ACCESS_KEY: srv.fixture.secretAccessKey,
      AWS_ENDPOINT_URL_IAM: srv.endpoint, AWS_ENDPOINT_URL_STS: srv.endpoint,
    };
    // A user holds at most 8 MFA devices: enable every other one.
    writeFileSync(join(b.dir, 'l.txt'),
      Array.from({ length: 16 }, (_, i) => `t${i}${i % 2 ? '' : ` ${USER}`}`).join('\n'));
    const r = expectExit(await b.p(['create', '--from', join(b.dir, 'l.txt'), '--concurrency', '8',
      '--device-dir', join(b.dir, 'd')], 0, env), 0, 'batch');
    assert.is(r.stdout.trim().split('\n').length, 16);
    assert.is(r.stdout.split('enabled for').length - 1, 8);
    const throttled = answers.filter((l) => / 400 /.test(l)).length;
    assert.ok(throttled > 0, `no request was throttled: ${answers.join('; ')}`);
    assert.is(answers.filter((l) => /CreateVirtualMFADevice 200/.test(l)).length, 16);
  } finally { await srv.close(); b.done(); }
});

B('a quota refusal (9th MFA device of a user) fails at once, not after a minute of backoff', async () => {
  const b = box();
  try {
    writeFileSync(join(b.dir, 'l.txt'), Array.from({ length: 9 }, (_, i) => `q${i} ${USER}`).join('\n'));
    const r = expectExit(await b.p(['--local', 'create', '--from', join(b.dir, 'l.txt'),
      '--device-dir', join(b.dir, 'd'), '--json']), 1, 'nine');
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.is(lines.filter((l) => l.ok).length, 8);
    assert.equal(lines.filter((l) => !l.ok).map((l) => [l.name, l.error.code, l.error.awsCode]),
      [['q8', 'E_AWS', 'LimitExceeded']]);
    assert.match(r.stderr, /^provision: q8: EnableMFADevice: LimitExceeded: .*rolled back: /m);
  } finally { b.done(); }
});

B('one failure does not stop the others; the exit code says not all succeeded', async () => {
  const b = box();
  const srv = await localAws(b);
  try {
    const first = expectExit(await b.p(['create', 'taken', '--device', join(b.dir, 'other.dev')], 0, srv.awsEnv), 0,
      'taken, on a token made for it');
    assert.match(first.stderr, /^provision: created token FOB\d{8} at \S+other\.dev \(there was none\)\n$/);
    writeFileSync(join(b.dir, 'list.txt'), `ok-1\ntaken\nok-2 ${USER}\nghost nobody\nok-3\n`);
    // Devices for several users (one that does not exist): setup work, so the administrator's key.
    const r = expectExit(await b.p(['create', '--from', join(b.dir, 'list.txt'), '--concurrency', '3',
      '--device-dir', join(b.dir, 'd'), '--json'], 0, srv.adminEnv), 1, 'partial');
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.is(lines.length, 5, 'one JSON line per device, failed or not');
    assert.equal(lines.filter((l) => l.ok).map((l) => l.serialNumber).sort(),
      [serialOf('ok-1'), serialOf('ok-2'), serialOf('ok-3')]);
    assert.ok(lines.filter((l) => l.ok).every((l) => l.name === l.serialNumber.split('/').pop()));
    const failed = Object.fromEntries(lines.filter((l) => !l.ok).map((l) => [l.name, l.error]));
    assert.equal(Object.keys(failed).sort(), ['ghost', 'taken']);
    assert.equal([failed.taken.code, failed.taken.awsCode], ['E_AWS', 'EntityAlreadyExists']);
    assert.match(failed.taken.message, new RegExp(/^CreateVirtualMFADevice: EntityAlreadyExists: /.source +
      /MFA device already exists\. /.source +
      /Remove it with `provision remove --serial arn:aws:iam::123456789012:mfa\/taken`/.source));
    assert.equal([failed.ghost.code, failed.ghost.awsCode], ['E_AWS', 'NoSuchEntity']);
    assert.match(failed.ghost.message, /rolled back: removed .*deleted IAM device/);
    assert.is(lines.find((l) => l.name === 'ghost').userName, 'nobody');
    const err = r.stderr.trim().split('\n');
    assert.is(err.length, 3, r.stderr);
    assert.ok(err.some((l) => /^provision: taken: CreateVirtualMFADevice: EntityAlreadyExists: /.test(l)), r.stderr);
    assert.ok(err.some((l) =>
      /^provision: ghost: EnableMFADevice: NoSuchEntity: .*rolled back: removed .*deleted IAM device/.test(l)),
      r.stderr);
    assert.is(err[2], 'provision: 2 of 5 devices failed (see above); 3 created');
  } finally { await srv.stop(); b.done(); }
});

B('a failed device keeps its cause\'s code: E_EXISTS (id already on the token), E_FULL (token full, rolled ' +
  'back)', async () => {
  const b = box();
  try {
    expectExit(await b.t(['init']), 0, 'init');
    const token = await openToken({ device: join(b.dir, 'state/totp-fob/token.dev'), clock: hostClock(at(0)) });
    try {
      const put = (account: string) => token.enroll({
        account, issuer: 'Amazon Web Services', secret: randomBytes(20), type: 'totp', algorithm: 'SHA1', digits: 6,
        period: 30, counter: 0,
      });
      await put(`held@${ACCOUNT}`);
      for (let i = 0; i < 62; i++) await put(`filler-${i}@${ACCOUNT}`);
    } finally { await token.close(); }
    const r = expectExit(await b.p(['--local', 'create', 'held', 'fill-1', 'fill-2', '--json']), 1, 'full');
    const by = Object.fromEntries(r.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((l) => [l.name, l]));
    assert.equal([by.held.ok, by.held.error.code, by.held.error.awsCode], [false, 'E_EXISTS', undefined]);
    assert.match(by.held.error.message, /already holds 'Amazon Web Services:held@123456789012'/);
    assert.is(by['fill-1'].ok, true);
    assert.equal([by['fill-2'].ok, by['fill-2'].error.code], [false, 'E_FULL']);
    assert.match(by['fill-2'].error.message, /rolled back: deleted IAM device arn:aws:iam::123456789012:mfa\/fill-2$/);
    const iam = JSON.parse(expectExit(await b.p(['--local', 'list', '--json']), 0, 'list').stdout);
    assert.equal(iam.map((x: { serialNumber: string }) => x.serialNumber), [serialOf('fill-1')]);
  } finally { b.done(); }
});

B('on a terminal a progress line counts the batch on stderr', async () => {
  if (!oracle('script', spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0,
    'util-linux script is missing')) return;
  const b = box();
  try {
    expectExit(await b.t(['init']), 0, 'init');
    const cmd = `${process.execPath} ${PROVISION} --local create p1 p2 p3 --concurrency 2 2>&1 >/dev/null`;
    const r = await run('script', ['-qec', cmd, '/dev/null'], { env: { ...b.env, TOTP_FOB_NOW: at(0) } });
    assert.is(r.code, 0, r.stdout);
    assert.match(r.stdout, '[0/3] 0 created');
    assert.match(r.stdout, '[3/3] 3 created');
    assert.match(r.stdout, /\r\x1b\[K$/, 'the line is cleared at the end');
  } finally { b.done(); }
});

B('several names into one token, text output one line each', async () => {
  const b = box();
  try {
    expectExit(await b.t(['init']), 0, 'init');
    const r = expectExit(await b.p(['--local', 'create', 'a', 'b', 'c', '--concurrency', '3']), 0, 'three');
    const lines = r.stdout.trim().split('\n').sort();
    assert.is(lines.length, 3);
    assert.match(lines[0]!,
      /^arn:aws:iam::123456789012:mfa\/a  Amazon Web Services:a@123456789012  token FOB\d+  not enabled$/);
    const ids = JSON.parse((await b.t(['list', '--json'])).stdout).map((c: { id: string }) => c.id).sort();
    assert.equal(ids, ['a', 'b', 'c'].map((n) => `Amazon Web Services:${n}@${ACCOUNT}`));
    const bad = expectExit(await b.p(['--local', 'create', 'x', '--from', join(b.dir, 'missing.txt')]), 2,
      'missing list');
    assert.match(bad.stderr, /cannot read --from .*missing\.txt: ENOENT/);
  } finally { b.done(); }
});

B.run();
