// Oracle: the real ykman 4.0.9 drives our token through pcscd + vsmartcard vpcd, as it
// drives a YubiKey (issue 7). `token attach` is the card; `token` works beside it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TOKEN, node, oracle, run, tempDir, type Run } from '../helpers.js';
import { READER, attachCommand, cardConnected, missing, startAttach, startPcscd, type Attached, type Pcscd } from './pcsc.js';

const why = missing() ?? (existsSync(TOKEN) ? null : `${TOKEN} is not built (npm run build)`)
  ?? (existsSync(join(ROOT, 'device/firmware/index.ts')) ? null : 'the firmware (device/firmware) is not there yet');
const ready = oracle('ykman', why === null, why ?? '');

const tmp = tempDir('fob-ykman-');
// uvu skips after() when before() throws; the temp dir goes at exit either way.
process.once('exit', () => tmp.done());
const device = join(tmp.dir, 'token.dev');
// ykman remembers passwords under $HOME/.ykman; keep it out of the real home.
const env = { ...process.env, HOME: tmp.dir, TOKEN_DEVICE: device, NO_COLOR: '1', TOTP_FOB_NOW: '' };
delete (env as Record<string, string | undefined>).TOKEN_ACCESS_CODE;

let pcscd: Pcscd | undefined;
let card: Attached | undefined;

const token = (args: string[], extra: NodeJS.ProcessEnv = {}) => node(TOKEN, args, { env: { ...env, ...extra }, timeoutMs: 30_000 });
const ykman = (args: string[], timeoutMs = 30_000) => run('ykman', ['--reader', READER, 'oath', ...args], { env, timeoutMs });

function ok(r: Run, what: string): string {
  assert.is(r.code, 0, `${what} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

interface Listed { id?: string; name: string; issuer?: string | null; period?: number; type?: string }
/** The YKOATH id `[period/][issuer:]name` the device keeps (period prefix only when not 30). */
const idOf = (c: Listed) => c.id ?? `${c.type?.toUpperCase() === 'TOTP' && c.period && c.period !== 30 ? `${c.period}/` : ''}${c.issuer ? `${c.issuer}:` : ''}${c.name}`;

async function tokenIds(extra: NodeJS.ProcessEnv = {}): Promise<string[]> {
  return (JSON.parse(ok(await token(['list', '--json'], extra), 'token list --json')) as Listed[]).map(idOf).sort();
}
const ykmanIds = async (args: string[] = []) => ok(await ykman(['accounts', 'list', ...args]), 'ykman accounts list').split('\n').filter(Boolean).sort();

/** `accounts code` rows as id -> code cell ('name  code', two spaces, right-aligned code). */
function rows(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n').filter(Boolean)) {
    const r = /^(.*?)\s{2,}(\S.*)$/.exec(line.trimEnd());
    if (r) m.set(r[1]!.trim(), r[2]!.trim()); else m.set(line.trim(), '');
  }
  return m;
}

// Seeds for this test only (RFC 4226's "12345678901234567890" and friends, base32).
const SEED = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

const y = suite('ykman 4.0.9 over pcscd + vpcd drives the attached token');

y.before(async () => {
  if (!ready) return;
  ok(await token(['init', '--drift-ppm', '0']), 'token init');
  ok(await token(['enroll', '--secret', SEED, '--issuer', 'Example', '--name', 'alice']), 'enroll alice');
  ok(await token(['enroll', '--secret', SEED, '--issuer', 'Slow', '--name', 'bob', '--period', '60', '--digits', '8', '--algorithm', 'SHA256']), 'enroll bob');
  ok(await token(['enroll', '--secret', SEED, '--name', 'dave', '--hotp', '--counter', '5', '--digits', '8']), 'enroll dave');
  pcscd = await startPcscd();
  card = await startAttach(device, pcscd.port, env);
});

y.after(async () => {
  await card?.stop();
  await pcscd?.stop();
  tmp.done();
});

// Without the stack the tests are reported as skipped (oracle() said why), not as passed.
const t = (name: string, fn: () => Promise<void>) => (ready ? y : y.skip)(name, fn);

t('oath info: the card is a YKOATH 5.7.1 applet without a password', async () => {
  const out = ok(await ykman(['info']), 'ykman oath info');
  assert.match(out, /OATH version: 5\.7\.1/);
  assert.match(out, /Password protection: disabled/);
});

t('oath accounts add -t: a touch credential ykman adds shows [Requires Touch]', async () => {
  ok(await ykman(['accounts', 'add', '-f', '-t', '-i', 'Touchy', 'carol', SEED]), 'ykman accounts add -t');
  const m = rows(ok(await ykman(['accounts', 'code']), 'ykman accounts code'));
  assert.is(m.get('Touchy:carol'), '[Requires Touch]');
  assert.is(m.get('dave'), '[HOTP Account]');
});

t('accounts code -s for a touch credential fails without a press (15 s wait), succeeds after token press', async () => {
  // No press has happened yet in this test (token show would press), so the window is shut.
  const before = await ykman(['accounts', 'code', '-s', 'carol'], 40_000);
  assert.is(before.code, 1, `without a press: exit ${before.code} ${before.stdout}${before.stderr}`);
  assert.match(before.stderr, /Touch account timed out/);
  ok(await token(['press']), 'token press');
  const after = ok(await ykman(['accounts', 'code', '-s', 'carol']), 'code -s carol after press').trim();
  assert.match(after, /^\d{6}$/);
  const shown = JSON.parse(ok(await token(['show', 'carol', '--json']), 'token show carol')) as { code: string; step: number }[];
  // The same step unless a boundary passed between the two commands.
  if (shown[0]!.step === Math.floor(Date.now() / 1000 / 30)) assert.is(after, shown[0]!.code);
});

t('oath accounts list shows what token list shows', async () => {
  const ids = await tokenIds();
  assert.equal(await ykmanIds(), ids);
  assert.equal(ids, ['60/Slow:bob', 'Example:alice', 'Touchy:carol', 'dave'].sort());
});

/** Runs ykman and token show in the same TOTP step of every period involved, retrying across a boundary. */
async function sameMoment<T>(f: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    const t0 = Math.floor(Date.now() / 1000);
    const r = await f();
    const t1 = Math.floor(Date.now() / 1000);
    if ((Math.floor(t0 / 30) === Math.floor(t1 / 30) && Math.floor(t0 / 60) === Math.floor(t1 / 60)) || i === 3) return r;
  }
}

t('oath accounts code gives the codes token show gives at the same moment', async () => {
  const [yk, shown] = await sameMoment(async () => [
    rows(ok(await ykman(['accounts', 'code']), 'ykman accounts code')),
    JSON.parse(ok(await token(['show', '--json']), 'token show --json')) as (Listed & { code: string | null; period: number })[],
  ] as const);
  const totp = shown.filter((c) => c.type?.toUpperCase() !== 'HOTP' && idOf(c) !== 'Touchy:carol');
  assert.is(totp.length, 2);
  for (const c of totp) assert.is(yk.get(idOf(c)), c.code, idOf(c));
  assert.is(yk.get('60/Slow:bob')!.length, 8);
});

t('accounts code -s QUERY gives the single code', async () => {
  const [code, shown] = await sameMoment(async () => [
    ok(await ykman(['accounts', 'code', '-s', 'alice']), 'code -s alice').trim(),
    JSON.parse(ok(await token(['show', 'alice', '--json']), 'token show alice')) as { code: string }[],
  ] as const);
  assert.match(code, /^\d{6}$/);
  assert.is(code, shown[0]!.code);
  const many = await ykman(['accounts', 'code', '-s', 'a']);
  assert.is(many.code, 1);
  assert.match(many.stderr, /Multiple matches/);
});

t('accounts code -s on HOTP uses and advances the device counter', async () => {
  const a = ok(await ykman(['accounts', 'code', '-s', 'dave']), 'code -s dave').trim();
  const b = ok(await ykman(['accounts', 'code', '-s', 'dave']), 'code -s dave').trim();
  assert.match(a, /^\d{8}$/);
  assert.is.not(a, b);
});

t('oath accounts add and uri change the token, and token list sees it', async () => {
  ok(await ykman(['accounts', 'add', '-f', '-i', 'Acme', '-d', '7', 'eve', 'JBSWY3DPEHPK3PXP']), 'ykman accounts add');
  ok(await ykman(['accounts', 'uri', '-f', 'otpauth://totp/Uri:frank?secret=JBSWY3DPEHPK3PXP&issuer=Uri&digits=8&algorithm=SHA512']), 'ykman accounts uri');
  const listed = JSON.parse(ok(await token(['list', '--json']), 'token list')) as (Listed & { digits: number; algorithm: string })[];
  const eve = listed.find((c) => idOf(c) === 'Acme:eve');
  const frank = listed.find((c) => idOf(c) === 'Uri:frank');
  assert.ok(eve && frank, `token list: ${listed.map(idOf).join(', ')}`);
  assert.is(eve!.digits, 7);
  assert.is(frank!.digits, 8);
  assert.is(frank!.algorithm, 'SHA512');
  const [yk, shown] = await sameMoment(async () => [
    ok(await ykman(['accounts', 'code', '-s', 'frank']), 'code -s frank').trim(),
    JSON.parse(ok(await token(['show', 'frank', '--json']), 'token show frank')) as { code: string }[],
  ] as const);
  assert.is(yk, shown[0]!.code);
});

t('a credential token enrolls while attached is seen by ykman', async () => {
  ok(await token(['enroll', '--secret', SEED, '--issuer', 'Late', '--name', 'gina']), 'token enroll while attached');
  assert.ok((await ykmanIds()).includes('Late:gina'));
});

t('oath accounts rename and delete change the token, and token list sees it', async () => {
  ok(await ykman(['accounts', 'rename', '-f', 'Acme:eve', 'NewAcme:eve2']), 'ykman rename');
  let ids = await tokenIds();
  assert.ok(ids.includes('NewAcme:eve2') && !ids.includes('Acme:eve'), ids.join(', '));
  ok(await ykman(['accounts', 'delete', '-f', 'NewAcme:eve2']), 'ykman delete');
  ids = await tokenIds();
  assert.not.ok(ids.some((i) => i.includes('eve')), ids.join(', '));
  assert.equal(await ykmanIds(), ids);
});

t('replies over 255 bytes reach ykman through 61xx and SEND REMAINING', async () => {
  // LIST and CALCULATE ALL of 14 more credentials with long ids pass 255 bytes.
  for (let i = 0; i < 14; i++) {
    ok(await token(['enroll', '--secret', SEED, '--issuer', `Bulk Issuer ${i}`, '--name', `someone.with.a.long.name${i}@example.com`]), 'enroll bulk');
  }
  const ids = await tokenIds();
  assert.ok(ids.length >= 18, `${ids.length} credentials`);
  assert.equal(await ykmanIds(), ids);
  const [yk, shown] = await sameMoment(async () => [
    rows(ok(await ykman(['accounts', 'code', 'Bulk']), 'ykman accounts code Bulk')),
    JSON.parse(ok(await token(['show', '--json']), 'token show --json')) as (Listed & { code: string | null })[],
  ] as const);
  const bulk = shown.filter((c) => c.issuer?.startsWith('Bulk'));
  assert.is(bulk.length, 14);
  assert.is(yk.size, 14);
  for (const c of bulk) assert.is(yk.get(idOf(c)), c.code, idOf(c));
});

t('a Steam account takes CALCULATE with P2=00: the 5-character code ykman shows is right', async () => {
  ok(await ykman(['accounts', 'add', '-f', '-i', 'Steam', 'gabe', SEED]), 'add Steam');
  const [code, t0] = await sameMoment(async () => [ok(await ykman(['accounts', 'code', '-s', 'Steam:gabe']), 'code -s Steam').trim(), Date.now() / 1000] as const);
  // Steam Guard: the dynamic truncation of HMAC-SHA1(seed, T), spelled in base 26 of this alphabet.
  const A = '23456789BCDFGHJKMNPQRTVWXY';
  const step = Buffer.alloc(8);
  step.writeBigUInt64BE(BigInt(Math.floor(t0 / 30)));
  const h = createHmac('sha1', Buffer.from('12345678901234567890')).update(step).digest();
  let v = h.readUInt32BE(h[19]! & 0x0f) & 0x7fffffff, want = '';
  for (let i = 0; i < 5; i++) { want += A[v % 26]; v = Math.floor(v / 26); }
  assert.is(code, want);
});

t('oath access change sets a code that ykman then needs, and token needs too', async () => {
  ok(await ykman(['access', 'change', '-n', 'hunter2']), 'ykman access change');
  assert.match(ok(await ykman(['info']), 'info'), /Password protection: enabled/);
  const locked = await ykman(['accounts', 'list']);
  assert.is(locked.code, 1, 'ykman without the password must fail');
  const wrongYk = await ykman(['accounts', 'list', '-p', 'nope']);
  assert.is(wrongYk.code, 1);
  assert.match(wrongYk.stderr, /Wrong password/);
  const withCode = await ykmanIds(['-p', 'hunter2']);
  const noCode = await token(['list', '--json']);
  assert.is(noCode.code, 1, `token list without the code: ${noCode.stdout}`);
  assert.equal(await tokenIds({ TOKEN_ACCESS_CODE: 'hunter2' }), withCode);
});

t('a second attach on the same store is refused, naming the holder', async () => {
  const { cmd, args } = attachCommand(device, pcscd!.port);
  const r = await run(cmd, args, { env, timeoutMs: 20_000 });
  assert.is(r.code, 1, `second attach: exit ${r.code} ${r.stderr}`);
  assert.match(r.stderr, new RegExp(`already attached \\(pid ${card!.child.pid}\\)`));
  assert.is(r.stderr.trim().split('\n').length, 1, 'one line on stderr');
});

t('oath reset wipes the token', async () => {
  ok(await ykman(['reset', '-f']), 'ykman oath reset');
  assert.equal(await ykmanIds(), []);
  assert.equal(await tokenIds(), []);
  assert.match(ok(await ykman(['info']), 'info'), /Password protection: disabled/);
});

t('pcscd restarted under an attached card: attach dials again, and ykman sees the token', async () => {
  const port = pcscd!.port;
  await pcscd!.stop();
  pcscd = undefined;
  await new Promise((r) => setTimeout(r, 1500));
  assert.is(card!.child.exitCode, null, 'attach keeps retrying while vpcd is gone');
  pcscd = await startPcscd({ port });
  const until = Date.now() + 15_000;
  while (!cardConnected(port) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(await ykmanIds(), await tokenIds());
});

t('SIGTERM detaches: attach exits 0 and leaves no attach lock', async () => {
  const code = await card!.stop();
  card = undefined;
  assert.is(code, 0);
  assert.not.ok(existsSync(`${device}.attach`));
});

y.run();
