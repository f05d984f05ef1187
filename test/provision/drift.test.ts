// The drift-and-resync story: a token whose crystal runs fast, a simulated year later, is refused
// by STS; `provision resync` tells IAM where its clock is; STS accepts it again.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ROLE, T0, USER, box, expectExit, serialOf } from './lib.js';

const D = suite('drift and resync');
const YEAR = 365 * 86400;

/**
 * The story: a token whose crystal runs `ppm` fast, a year on, is `drift` seconds (a range) ahead;
 * STS refuses it, `provision resync` (on an endpoint with `env`'s window) takes codes from the
 * token's own clock, and STS accepts it again, and goes on accepting it.
 */
async function driftStory(ppm: number, drift: [number, number], session: string, env: NodeJS.ProcessEnv = {}) {
  const b = box();
  try {
    expectExit(await b.t(['init', '--drift-ppm', String(ppm)]), 0, 'init');
    expectExit(await b.p(['--local', 'create', USER, '--path', '/service-user/', '--user', USER], 0, env), 0, 'create');
    expectExit(await b.p(['--local', 'assume-role', ROLE, '--json'], 60, env), 0, 'fresh token works');

    const off = JSON.parse(expectExit(await b.t(['time', '--json'], YEAR), 0, 'token time').stdout).offset as number;
    assert.ok(off > drift[0] && off < drift[1], `drift after a year: ${off} s`);
    const refused = expectExit(await b.p(['--local', 'assume-role', ROLE, '--json'], YEAR, env), 1, 'drifted');
    const serial = serialOf(USER, '/service-user/');
    // The line names the way out that the story then takes.
    // The code goes to GetSessionToken: the role is assumed from that MFA session.
    assert.is(refused.stderr,
      'provision: GetSessionToken: AccessDenied: ' +
      'MultiFactorAuthentication failed with invalid MFA one time pass code. ' +
      `The code was wrong or already used: wait for the next step (30 s) and retry; ` +
      `if it keeps failing, the token's clock drifted: \`provision resync --user ${USER} --serial ${serial}\`\n`);

    const rs = JSON.parse(expectExit(await b.p(['--local', 'resync', '--user', USER, '--serial', serial, '--json'],
      YEAR + 60, env), 0, 'resync').stdout);
    // The codes came from the token's own clock, `off` ahead of AWS's.
    const ahead = rs.steps[1] - Math.floor((T0 + YEAR + 60) / 30);
    assert.ok(Math.abs(ahead - off / 30) <= 2,
      `resynced at steps ${rs.steps}: ${ahead} steps ahead of AWS, the token ${off} s`);
    const ok = JSON.parse(expectExit(await b.p(['--local', 'assume-role', ROLE, '--session-name', session, '--json'],
      YEAR + 120, env), 0, 'accepted').stdout);
    assert.is(ok.assumedRoleArn, `arn:aws:sts::123456789012:assumed-role/kjh-DuperRole/${session}`);
    // and keeps working as the clock runs on; the offset is the account's, whatever the window.
    expectExit(await b.p(['--local', 'session', '--json'], YEAR + 600), 0, 'still accepted');
  } finally { b.done(); }
}

D('+15 ppm for a year (~8 min, 16 steps): STS refuses, resync, STS accepts',
  () => driftStory(15, [15 * 30, 17 * 30], 'after-resync'));

// A lenient server: OTP servers resync over a far wider window than a login's (mfa.ts).
D('+300 ppm for a year (2 h 38 min ahead): STS refuses, a resync on an endpoint with a day-wide window takes it, ' +
  'STS accepts',
  () => driftStory(300, [2.6 * 3600, 2.7 * 3600], 'hours-later', { PROVISION_LOCAL_RESYNC_WINDOW: '2880' }));

D('a token 20 s behind: AWS refuses its two most recent codes, the retry with the next step passes', async () => {
  const b = box();
  try {
    // -1000 ppm for 19980 s: the device runs 19.98 s late; at T0+19980 the host is 10 s into its
    // step h, the device 20 s into h-1 — so (h-2, h-1) is refused and (h-1, h) is accepted.
    expectExit(await b.t(['init', '--drift-ppm', '-1000']), 0, 'init');
    expectExit(await b.p(['--local', 'create', 'late']), 0, 'create');
    const r = expectExit(await b.p(['--local', 'enable', '--user', USER, '--serial', serialOf('late'), '--json'],
      19980), 0, 'enable');
    const j = JSON.parse(r.stdout);
    const h = Math.floor((T0 + 19980) / 30);
    assert.equal([j.enabled, j.retried, j.steps], [true, true, [h - 1, h]]);
    assert.is(r.stderr, '', 'no countdown off a TTY');
  } finally { b.done(); }
});

D('PROVISION_LOCAL_RESYNC_WINDOW outside 1..2880 is a usage error (exit 2), before anything starts', async () => {
  const b = box();
  try {
    for (const bad of ['0', '2881', '1.5', 'wide']) {
      const r = expectExit(await b.p(['--local', 'list'], 0, { PROVISION_LOCAL_RESYNC_WINDOW: bad }), 2,
        `window ${bad}`);
      assert.is(r.stderr,
        `provision: PROVISION_LOCAL_RESYNC_WINDOW wants whole steps either side of now, 1 to 2880 (a day), ` +
        `got '${bad}'\n`);
    }
  } finally { b.done(); }
});

D('resync with codes AWS cannot place (a token hours off) is refused by the default ±20-step window, and nothing ' +
  'changes', async () => {
  const b = box();
  try {
    expectExit(await b.t(['init', '--drift-ppm', '500']), 0, 'init');
    expectExit(await b.p(['--local', 'create', 'far', '--user', USER]), 0, 'create');
    const r = expectExit(await b.p(['--local', 'resync', '--user', USER, '--serial', serialOf('far')], YEAR), 1,
      'resync hours off');
    assert.match(r.stderr, new RegExp(/^provision: ResyncMFADevice: InvalidAuthenticationCode: /.source +
      /Authentication code for device is not valid\. AWS found no two consecutive codes in its resync window /.source +
      /\(±20 steps on the local endpoint, unless --resync-window widens it\): /.source +
      /check `token time`, run `token time sync`, /.source +
      /then `provision resync --user kjh-SuperDuperUser --serial arn:aws:iam::123456789012:mfa\/far` again\n$/.source));
  } finally { b.done(); }
});

D.run();
