// The session cache's pieces in-process: the canonical key and its file name, the entry checks,
// freshness on the real and the simulated clock, --refresh-window, the source key the SDK would
// use, and the argv shapes the cache-hit path takes; `provision --version` as a process.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonical, entryPath, fresh, parseWindow, readEntry, type Key } from '../../provision/cache.js';
import { parseSession, resultKey } from '../../provision/cache-hit.js';
import { staticKeyId } from '../../provision/shared-config.js';
import { PROVISION, ROOT, node, tempDir } from '../helpers.js';

const C = suite('session cache');
const KEY: Key = {
  Op: 'AssumeRole', RoleArn: 'arn:aws:iam::123456789012:role/R', SerialNumber: 'arn:aws:iam::123456789012:mfa/a',
  DurationSeconds: 3600, Endpoint: 'https://sts.us-east-1.amazonaws.com', SourceAccessKeyId: 'AKIAEXAMPLE',
};
const CREDS = {
  AccessKeyId: 'ASIAABCDEFGHIJKLMNOP', SecretAccessKey: 's/ecret+', SessionToken: 'tok==',
  Expiration: '2030-01-01T00:00:00Z',
};

C('the key is canonical JSON (sorted keys at every level, as Python\'s sort_keys) and never holds a code', () => {
  assert.is(canonical({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 'x' }, u: undefined }),
    '{"a":{"c":"x","d":[2,{"y":2,"z":1}]},"b":1}');
  assert.is(entryPath('/d', KEY), entryPath('/d', { ...KEY }));
  assert.match(entryPath('/d', KEY), /^\/d\/[0-9a-f]{64}\.json$/);
  assert.is.not(entryPath('/d', KEY), entryPath('/d', { ...KEY, DurationSeconds: 1800 }));
  const o = parseSession(['session', '--role', KEY.RoleArn!, '--session-name', 'ci', '--external-id', 'xid',
    '--duration', '1800', '--credential-process'])!;
  const k = resultKey(o, {}, 'E', 'AKIA');
  assert.equal(Object.keys(k).sort(),
    ['Device', 'DurationSeconds', 'Endpoint', 'ExternalId', 'Op', 'RoleArn', 'RoleSessionName', 'SourceAccessKeyId']);
  assert.not.ok(/TokenCode|\b\d{6}\b/.test(canonical(k)));
});

C('an entry must be the one its name stands for, every field well-formed', () => {
  const { dir, done } = tempDir('fob-cache-');
  try {
    const p = join(dir, 'e.json');
    const put = (v: unknown, mode = 0o600) => writeFileSync(p, typeof v === 'string' ? v : JSON.stringify(v), { mode });
    const good = {
      Version: 1, Key: KEY, Credentials: CREDS, AssumedRoleUser: { Arn: 'arn:aws:sts::123456789012:assumed-role/R/s' },
    };
    put(good);
    assert.is(readEntry(p, KEY).kind, 'hit');
    assert.equal(readEntry(join(dir, 'none.json'), KEY), { kind: 'miss' });
    const why = (v: unknown) => { put(v); const r = readEntry(p, KEY); return r.kind === 'bad' ? r.why : r.kind; };
    assert.is(why('{'), 'not JSON');
    assert.is(why({ ...good, Key: { ...KEY, RoleArn: 'arn:aws:iam::123456789012:role/Other' } }),
      'its key is not the one its name stands for');
    assert.is(why({ ...good, Credentials: { ...CREDS, Expiration: 'soon' } }), 'a malformed Expiration');
    assert.is(why({ ...good, Credentials: { ...CREDS, AccessKeyId: 'x\u001b[2J' } }), 'a malformed AccessKeyId');
    assert.is(why({ ...good, AssumedRoleUser: undefined }), 'credentials of another kind');
    put('x'.repeat(70_000));
    assert.match((readEntry(p, KEY) as { why: string }).why, /over/);
    put(good);
    chmodSync(p, 0o640);
    assert.equal(readEntry(p, KEY), { kind: 'open', mode: 0o640 });
  } finally { done(); }
});

C('fresh: the refresh window before Expiration, on the later of the real and the simulated clock', () => {
  const exp = Date.now() / 1000 + 3600;
  const c = { ...CREDS, Expiration: new Date(exp * 1000).toISOString() };
  assert.ok(fresh(c, 900, Date.now() / 1000));
  assert.not.ok(fresh(c, 3700, Date.now() / 1000), 'a window wider than the life left');
  assert.not.ok(fresh(c, 900, exp + 7200), 'simulated +2h brings expiry closer');
  assert.not.ok(fresh({ ...c, Expiration: '2020-01-01T00:00:00Z' }, 900, Date.parse('2019-01-01') / 1000),
    'a simulated past never revives a dead one');
  assert.equal(['900', '15m', '1h', '0', '90s', '25h', '-1', '1d', 'm'].map(parseWindow),
    [900, 900, 3600, 0, 90, null, null, null, null]);
});

C('the source key: env keys unless a profile is named; a profile\'s static keys (credentials file over config); ' +
  'undefined where only the SDK knows', () => {
  const { dir, done } = tempDir('fob-src-');
  try {
    const env = {
      HOME: dir, AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    };
    writeFileSync(env.AWS_SHARED_CREDENTIALS_FILE,
      '[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s\n' +
      '[ci]\naws_access_key_id = AKIACI\naws_secret_access_key = s\n');
    writeFileSync(env.AWS_CONFIG_FILE, '[profile ci]\naws_access_key_id = AKIACONFIG\naws_secret_access_key = s\n' +
      '[profile role]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = ci\n[profile sso]\nsso_session = x\n');
    assert.is(staticKeyId(undefined, env), 'AKIADEFAULT');
    assert.is(staticKeyId(undefined, { ...env, AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 's' }), 'AKIAENV');
    assert.is(staticKeyId('ci', { ...env, AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 's' }), 'AKIACI');
    assert.is(staticKeyId(undefined, { ...env, AWS_PROFILE: 'ci' }), 'AKIACI');
    assert.is(staticKeyId('role', env), undefined);
    assert.is(staticKeyId('sso', env), undefined);
    assert.is(staticKeyId('nobody', env), undefined);
  } finally { done(); }
});

C('the hit path takes plain argv shapes only; anything else goes to commander', () => {
  const R = 'arn:aws:iam::123456789012:role/R';
  assert.equal(parseSession(['assume-role', R, '--credential-process', '--profile=ci']),
    { role: R, credentialProcess: true, profile: 'ci' });
  assert.equal(parseSession(['session', '--duration', '1800', '--refresh-window', '5m', '--json']),
    { duration: 1800, refreshWindow: 300, json: true });
  for (const bad of [['session', '--no-cache'], ['session', '--local'], ['session', '--clear-cache'], ['assume-role'],
    ['assume-role', R, '--role', R], ['session', R], ['session', '--role'], ['session', '--role', '--json'],
    ['session', '--duration', '15m'], ['session', '--help'], ['list'],
    ['session', '--profile', 'a', '--profile', 'b'], ['session', '--refresh-window', 'soon']]) {
    assert.is(parseSession(bad), null, bad.join(' '));
  }
});

C('provision --version prints package.json\'s version', async () => {
  const v = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  for (const flag of ['--version', '-V']) {
    const r = await node(PROVISION, [flag]);
    assert.equal([r.code, r.stdout, r.stderr], [0, `${v}\n`, '']);
  }
});

C.run();
