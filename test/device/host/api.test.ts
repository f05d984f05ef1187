// The host API (what provision uses) driving the real firmware in-process, on a clock the test holds.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hotp, totp } from '../../../device/core/index.js';
import { devicePath, openToken, type Token } from '../../../device/host/api.js';
import type { HostClock } from '../../../lib/clock.js';
import type { Enrollment } from '../../../device/host/enrollment.js';
import { tempDir } from '../../helpers.js';

const T0 = 1_800_000_015; // 15 s into step 60,000,000
/** A real (not simulated) clock the test moves; sleep advances it, so waits take no time. */
function held(t = T0): HostClock & { set(v: number): void } {
  return {
    now: () => t, sleep: async (ms) => { t += ms / 1000; }, simulated: false, fixed: false, set: (v) => { t = v; },
  };
}
const SECRET = new Uint8Array(Buffer.from('12345678901234567890'));
const cred = (account: string, o: Partial<Enrollment> = {}): Enrollment =>
  ({ account, secret: SECRET, type: 'totp', algorithm: 'SHA1', digits: 6, period: 30, counter: 0, ...o });
const codeOf = async (p: Promise<unknown>) => {
  try { await p; return 'ok'; } catch (e) { return (e as { code?: string }).code ?? String(e); }
};

async function withToken(
  f: (t: Token, clock: ReturnType<typeof held>, path: string) => Promise<void>, o: { driftPpm?: number } = {},
) {
  const d = tempDir('api-');
  const path = join(d.dir, 'sub', 'token.dev');
  const clock = held();
  const t = await openToken({
    device: path, clock, create: { serial: 'API1', ...(o.driftPpm !== undefined ? { driftPpm: o.driftPpm } : {}) },
  });
  try { await f(t, clock, path); } finally { await t.close(); d.done(); }
}

test('devicePath: --device, then TOKEN_DEVICE, then $XDG_STATE_HOME/totp-fob/token.dev, then ~/.local/state', () => {
  assert.is(devicePath('/x', { TOKEN_DEVICE: '/y' }), '/x');
  assert.is(devicePath(undefined, { TOKEN_DEVICE: '/y', XDG_STATE_HOME: '/s' }), '/y');
  assert.is(devicePath(undefined, { XDG_STATE_HOME: '/s' }), '/s/totp-fob/token.dev');
  assert.is(devicePath(undefined, { HOME: '/h' }), '/h/.local/state/totp-fob/token.dev');
  assert.is(devicePath(undefined, { HOME: '/h', XDG_STATE_HOME: 'relative' }), '/h/.local/state/totp-fob/token.dev');
});

test('openToken without create on a missing store is E_NO_DEVICE with the fix', async () => {
  const d = tempDir();
  try {
    const e = await openToken({ device: join(d.dir, 'none.dev'), clock: held() }).catch((x) => x);
    assert.is(e.code, 'E_NO_DEVICE');
    assert.match(e.message, /token init/);
  } finally { d.done(); }
});

test('create makes the token once and says so once', async () => {
  const d = tempDir();
  try {
    const path = join(d.dir, 'deep', 'er', 't.dev'), made: string[] = [];
    for (let i = 0; i < 2; i++) (await openToken({ device: path, clock: held(), create: true,
      onCreate: (s) => made.push(s) })).close();
    assert.is(made.length, 1);
  } finally { d.done(); }
});

test('enroll, list and code: codes equal RFC 6238 at the device time; list is metadata only',
  () => withToken(async (t) => {
  assert.equal(await t.enroll(cred('alice', { issuer: 'GitHub' })), { id: 'GitHub:alice', warnings: [] });
  await t.enroll(cred('bob', {
    digits: 8, algorithm: 'SHA256', period: 60, secret: new Uint8Array(32).fill(7), touch: true,
  }));
  await t.enroll(cred('dave', { type: 'hotp', counter: 5 }));
  const l = await t.list();
  assert.equal(l.map((c) => [c.id, c.type, c.algorithm, c.digits, c.period, c.touch]), [
    ['60/bob', 'totp', 'SHA256', 8, 60, true], ['dave', 'hotp', 'SHA1', 6, 0, false],
    ['GitHub:alice', 'totp', 'SHA1', 6, 30, false],
  ]);
  assert.not.ok(JSON.stringify(l).includes('GEZDGNBV'));
  const c = await t.code('github');
  assert.equal(c, { id: 'GitHub:alice', code: totp(SECRET, T0), step: Math.floor(T0 / 30) });
  assert.is((await t.code('dave')).code, hotp(SECRET, 5));
  assert.is((await t.code('dave')).code, hotp(SECRET, 6), 'HOTP advances');
}));

test('names are unique, and what the device cannot hold is refused before any PUT', () => withToken(async (t) => {
  await t.enroll(cred('alice'));
  assert.is(await codeOf(t.enroll(cred('alice'))), 'E_EXISTS');
  assert.is(await codeOf(t.enroll(cred('x', { digits: 9 }))), 'E_UNSUPPORTED');
  assert.is(await codeOf(t.enroll(cred('x', { period: 301 }))), 'E_UNSUPPORTED');
  assert.is(await codeOf(t.enroll(cred('x'.repeat(65)))), 'E_ID_TOO_LONG');
  assert.is((await t.list()).length, 1);
}));

test('a full token (64 credentials) is E_FULL', () => withToken(async (t) => {
  for (let i = 0; i < 64; i++) await t.enroll(cred(`c${i}`));
  assert.is(await codeOf(t.enroll(cred('one-more'))), 'E_FULL');
}));

test('queries: none and several are errors naming the candidates', () => withToken(async (t) => {
  await t.enroll(cred('alice', { issuer: 'A' })); await t.enroll(cred('alice', { issuer: 'B' }));
  const amb = await t.code('alice').catch((e) => e);
  assert.is(amb.code, 'E_AMBIGUOUS'); assert.match(amb.message, /A:alice.*B:alice/);
  assert.is(await codeOf(t.code('carol')), 'E_NO_MATCH');
  assert.is((await t.code('B:alice')).id, 'B:alice');
}));

test('rename keeps the credential (same codes) and refuses a taken name; remove deletes', () => withToken(async (t) => {
  await t.enroll(cred('old')); await t.enroll(cred('other'));
  const before = (await t.code('old')).code;
  await t.rename('old', 'Issuer:new');
  assert.is((await t.code('Issuer:new')).code, before);
  assert.is(await codeOf(t.rename('Issuer:new', 'other')), 'E_EXISTS');
  await t.remove('Issuer:new');
  assert.equal((await t.list()).map((c) => c.id), ['other']);
  assert.is(await codeOf(t.remove('Issuer:new')), 'E_NO_MATCH');
}));

test('code --fresh: a used step is never handed out again; the next waits for the next step',
  () => withToken(async (t, clock) => {
  await t.enroll(cred('aws'));
  const a = await t.code('aws', { fresh: true });
  const waits: number[] = [];
  const b = await t.code('aws', { fresh: true, onWait: (s) => waits.push(s) });
  assert.is(b.step, a.step + 1);
  assert.is(b.code, totp(SECRET, b.step * 30));
  assert.ok(waits.length > 0 && waits[0]! <= 15 && waits[0]! >= 14, `countdown ${waits}`);
  assert.ok(clock.now() >= b.step * 30);
}));

test('freshPair: recent is (T-1, T); next then gives (T+1, T+2) in one go once T+1 is current',
  () => withToken(async (t, clock) => {
  await t.enroll(cred('aws'));
  const T = Math.floor(T0 / 30);
  const r = await t.freshPair('aws', 'recent');
  assert.equal(r.map((x) => x.step), [T - 1, T]);
  assert.equal(r.map((x) => x.code), [totp(SECRET, (T - 1) * 30), totp(SECRET, T * 30)]);
  assert.is(await codeOf(t.freshPair('aws', 'recent')), 'E_USED');
  const n = await t.freshPair('aws', 'next');
  assert.equal(n.map((x) => x.step), [T + 1, T + 2]);
  assert.ok(clock.now() >= (T + 1) * 30 && clock.now() < (T + 2) * 30,
    `waited until T+1 was current, not for T+2: ${clock.now() - (T + 1) * 30} s into T+1`);
  assert.is((await t.code('aws', { fresh: true })).step, T + 3);
}));

test('a simulated host clock writes no high-water step (TOTP_FOB_NOW)', async () => {
  const d = tempDir();
  try {
    const path = join(d.dir, 't.dev');
    const sim: HostClock = { ...held(), simulated: true, fixed: true };
    const t = await openToken({ device: path, clock: sim, create: true });
    await t.enroll(cred('aws'));
    assert.is((await t.code('aws', { fresh: true })).step, (await t.code('aws', { fresh: true })).step);
    await t.close();
  } finally { d.done(); }
});

test('drift: 20 ppm over a year puts the device 630.72 s ahead, and codes follow the device',
  () => withToken(async (t, clock) => {
  await t.enroll(cred('d'));
  const later = T0 + 365 * 86400;
  clock.set(later);
  const dev = later + 365 * 86400 * 20e-6;
  assert.ok(Math.abs((await t.deviceTime()) - dev) < 0.01, `${await t.deviceTime()} vs ${dev}`);
  assert.is((await t.code('d')).code, totp(SECRET, dev));
  assert.is((await t.info()).driftPpm, 20);
}, { driftPpm: 20 }));

test('time sync: a drifted-ahead clock is set back only with force (E_BACKWARDS otherwise)',
  () => withToken(async (t, clock) => {
  clock.set(T0 + 365 * 86400);
  const ahead = (await t.deviceTime()) - clock.now();
  assert.ok(ahead > 630 && ahead < 631, `ahead ${ahead}`);
  const e = await t.setTime().catch((x) => x);
  assert.is(e.code, 'E_BACKWARDS'); assert.match(e.message, /630\.\d s ahead.*--force/);
  const r = await t.setTime(true);
  assert.ok(Math.abs(r.after - clock.now()) < 0.01 && Math.abs(r.before - clock.now() - ahead) < 0.01);
}, { driftPpm: 20 }));

test('display: the button and the LCD, sorted as the device shows them; HOTP only when named',
  () => withToken(async (t) => {
  await t.enroll(cred('z')); await t.enroll(cred('dave', { type: 'hotp', counter: 2 }));
  const all = await t.display();
  assert.equal(all.find((f) => f.id === 'z')!.code, totp(SECRET, T0));
  assert.equal(all.find((f) => f.id === 'z')!.next, totp(SECRET, T0 + 30));
  assert.is(all.find((f) => f.id === 'dave')!.code, null);
  assert.is((await t.display('dave'))[0]!.code, hotp(SECRET, 2));
}));

test('access code: locked without it, wrong one costs a try, never the last one unasked, right one unlocks',
  async () => {
  const d = tempDir();
  try {
    const path = join(d.dir, 't.dev'), clock = held();
    let t = await openToken({ device: path, clock, create: true });
    await t.enroll(cred('a'));
    await t.setAccessCode('hunter2');
    await t.close();
    const env = process.env.TOKEN_ACCESS_CODE; delete process.env.TOKEN_ACCESS_CODE;
    try {
      assert.is(await codeOf(openToken({ device: path, clock })), 'E_LOCKED');
      const wrong = await openToken({ device: path, clock, accessCode: 'nope' }).catch((e) => e);
      assert.is(wrong.code, 'E_ACCESS'); assert.match(wrong.message, /7 tries left/);
      for (let i = 0; i < 6; i++) await openToken({ device: path, clock, accessCode: 'nope' }).catch(() => {});
      assert.is(await codeOf(openToken({ device: path, clock, accessCode: 'nope' })), 'E_LAST_TRY',
        'one try left: not spent without a person');
      t = await openToken({ device: path, clock, accessCode: 'hunter2', allowLastTry: true });
      assert.is((await t.code('a')).code, totp(SECRET, T0));
      assert.is((await t.info()).retries, 8, 'a right code refills the tries');
      await t.clearAccessCode();
      await t.close();
      t = await openToken({ device: path, clock });
      assert.is((await t.list()).length, 1);
      await t.close();
    } finally { if (env !== undefined) process.env.TOKEN_ACCESS_CODE = env; }
  } finally { d.done(); }
});

test('trace sees every APDU pair, with the PUT data redacted', async () => {
  const d = tempDir();
  try {
    const lines: string[] = [];
    const t = await openToken({
      device: join(d.dir, 't.dev'), clock: held(), create: true, trace: (l) => lines.push(l),
    });
    await t.enroll(cred('a', { secret: new Uint8Array(Buffer.from('SUPERSECRETSEEDBYTES')) }));
    await t.close();
    assert.ok(lines.some((l) => l.startsWith('> 00 A4 04 00 07')));
    assert.ok(lines.some((l) => /^> 00 01 00 00 .. <redacted>$/.test(l)));
    const all = lines.join('\n').replace(/ /g, '');
    assert.not.ok(all.includes(Buffer.from('SUPERSECRETSEEDBYTES').toString('hex').toUpperCase()));
  } finally { d.done(); }
});

test.run();
