// Oracle: the real ykman 4.0.9 drives our token through pcscd + vsmartcard vpcd, as it
// drives a YubiKey. `token attach` is the card; `token` works beside it. Codes are checked
// against oathtool and RFC 4226's published values, never only against the same firmware.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TOKEN, has, node, oracle, run, tempDir, type Run } from '../helpers.js';
import {
  READER, attachCommand, cardConnected, cardReady, foreignPcscd, missing, startAttach, startPcscd,
  type Attached, type Pcscd,
} from './pcsc.js';

const why = missing() ?? foreignPcscd()
  ?? (has('oathtool', ['--version']) ? null
    : 'oathtool is not installed (apt-get install oathtool): ykman\'s codes are checked against it')
  ?? (existsSync(TOKEN) ? null : `${TOKEN} is not built (npm run build)`)
  ?? (existsSync(join(ROOT, 'device/firmware/index.ts')) ? null : 'the firmware (device/firmware) is not there yet');
const ready = oracle('ykman', why === null, why ?? '');

const tmp = tempDir('fob-ykman-');
// uvu skips after() when before() throws; the temp dir goes at exit either way.
process.once('exit', () => tmp.done());
const device = join(tmp.dir, 'token.dev');
// ykman remembers passwords under $HOME/.ykman; keep it out of the real home.
const env = { ...process.env, HOME: tmp.dir, TOKEN_DEVICE: device, NO_COLOR: '1', TOTP_FOB_NOW: '' };
delete (env as Record<string, string | undefined>).TOKEN_ACCESS_CODE;

/** The token's serial, and the YubiKey serial number it maps to (FOB and digits: the number). */
const SERIAL = 'FOB20250713';
const YK_SERIAL = '20250713';

let pcscd: Pcscd | undefined;
let card: Attached | undefined;
/** The reader ykman is pointed at: pcscd's slot 0, renamed when pcscd restarts as a YubiKey's reader. */
let reader = READER;

// Bounds are for a loaded 2-core machine: a broken card still fails them, a slow one does not.
const token = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
  node(TOKEN, args, { env: { ...env, ...extra }, timeoutMs: 60_000 });
const yk = (args: string[], timeoutMs = 60_000) => run('ykman', ['--reader', reader, ...args], { env, timeoutMs });
const ykman = (args: string[], timeoutMs = 60_000) => yk(['oath', ...args], timeoutMs);

function ok(r: Run, what: string): string {
  assert.is(r.code, 0, `${what} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

interface Listed { id?: string; name: string; issuer?: string | null; period?: number; type?: string }
/** The YKOATH id `[period/][issuer:]name` the device keeps (period prefix only when not 30). */
const idOf = (c: Listed) => c.id
  ?? `${c.type?.toUpperCase() === 'TOTP' && c.period && c.period !== 30 ? `${c.period}/` : ''}` +
    `${c.issuer ? `${c.issuer}:` : ''}${c.name}`;

async function tokenIds(extra: NodeJS.ProcessEnv = {}): Promise<string[]> {
  return (JSON.parse(ok(await token(['list', '--json'], extra), 'token list --json')) as Listed[]).map(idOf).sort();
}
const ykmanIds = async (args: string[] = []) => ok(await ykman(['accounts', 'list', ...args]), 'ykman accounts list')
  .split('\n').filter(Boolean).sort();

/** `accounts code` rows as id -> code cell ('name  code', two spaces, right-aligned code). */
function rows(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n').filter(Boolean)) {
    const r = /^(.*?)\s{2,}(\S.*)$/.exec(line.trimEnd());
    if (r) m.set(r[1]!.trim(), r[2]!.trim()); else m.set(line.trim(), '');
  }
  return m;
}

/** `ykman info`'s Applications table: name -> USB status. */
function apps(out: string): Map<string, string> {
  const lines = out.split('\n');
  const at = lines.findIndex((l) => l.startsWith('Applications'));
  return new Map(lines.slice(at + 1).filter((l) => l.includes('\t')).map((l) => {
    const [name, usb] = l.split('\t').map((c) => c.trim());
    return [name!, usb!] as [string, string];
  }));
}

// Seeds for this test only: RFC 4226's "12345678901234567890", base32.
const SEED = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

/** The code oathtool computes: TOTP at Unix second t, or HOTP at a counter. */
async function oathtool(o: {
  secret: string; t?: number; counter?: number; digits?: number; algorithm?: string; period?: number;
}): Promise<string> {
  const alg = o.algorithm && o.algorithm !== 'SHA1' ? `=${o.algorithm.toLowerCase()}` : '';
  const args = o.counter !== undefined ? ['--hotp', '-c', String(o.counter)]
    : [`--totp${alg}`, `--time-step-size=${o.period ?? 30}s`, '--now', `@${o.t}`];
  return ok(await run('oathtool', [...args, '-b', '-d', String(o.digits ?? 6), o.secret], { timeoutMs: 30_000 }),
    'oathtool').trim();
}

/**
 * Runs f inside one step of 30 s and of 60 s, retrying when a boundary passed while it ran;
 * t is a Unix second of that step, what ykman's int(time()) read.
 */
async function oneStep<T>(f: () => Promise<T>): Promise<{ r: T; t: number }> {
  for (let i = 0; i < 4; i++) {
    const t0 = Math.floor(Date.now() / 1000);
    const r = await f();
    const t1 = Math.floor(Date.now() / 1000);
    if (Math.floor(t0 / 30) === Math.floor(t1 / 30) && Math.floor(t0 / 60) === Math.floor(t1 / 60)) return { r, t: t0 };
  }
  throw new Error('four runs in a row straddled a TOTP step boundary');
}

const y = suite('ykman 4.0.9 over pcscd + vpcd drives the attached token');

y.before(async () => {
  if (!ready) return;
  ok(await token(['init', '--serial', SERIAL, '--drift-ppm', '0']), 'token init');
  ok(await token(['enroll', '--secret', SEED, '--issuer', 'Example', '--name', 'alice']), 'enroll alice');
  ok(await token(['enroll', '--secret', SEED, '--issuer', 'Slow', '--name', 'bob', '--period', '60', '--digits', '8',
    '--algorithm', 'SHA256']), 'enroll bob');
  ok(await token(['enroll', '--secret', SEED, '--name', 'dave', '--hotp', '--counter', '2', '--digits', '6']),
    'enroll dave');
  pcscd = await startPcscd();
  reader = pcscd.reader;
  card = await startAttach(device, pcscd.port, env, reader);
});

y.after(async () => {
  await card?.stop();
  await pcscd?.stop();
  tmp.done();
});

// Without the stack the tests are reported as skipped (oracle() said why), not as passed.
const t = (name: string, fn: () => Promise<void>) => (ready ? y : y.skip)(name, fn);

t('ykman info: a YubiKey 5, serial 20250713 (the token FOB20250713), firmware 5.7.1, OATH the one application',
  async () => {
  const out = ok(await yk(['info']), 'ykman info');
  assert.match(out, /^Device type: YubiKey 5$/m);
  assert.match(out, new RegExp(`^Serial number: ${YK_SERIAL}$`, 'm'));
  assert.match(out, /^Firmware version: 5\.7\.1$/m);
  const table = apps(out);
  assert.is(table.get('OATH'), 'Enabled');
  assert.ok(table.size >= 6, out);
  for (const [app, usb] of table) if (app !== 'OATH') assert.is(usb, 'Not available', app);
  assert.not.match(out, /NFC/, 'no NFC transport is claimed');
});

t('ykman reads the Management application: no guessed 3.0.0, no probing of OTP or PIV', async () => {
  const r = await yk(['--log-level', 'DEBUG', 'info']);
  ok(r, 'ykman --log-level DEBUG info');
  const log = r.stderr.toLowerCase();
  assert.match(log, /send: 00a4040008a000000527471117/);
  assert.match(log, /send: 001d000000/);
  assert.not.match(log, /unable to select management/);
  assert.not.match(log, /a0000005272001|a000000308/, 'no fallback scan of OTP or PIV');
});

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

t('accounts code -s for a touch credential fails without a press (15 s wait), ' +
  'gives oathtool\'s code after token press', async () => {
  // No press has happened yet in this test (token show would press), so the window is shut.
  const before = await ykman(['accounts', 'code', '-s', 'carol'], 90_000);
  assert.is(before.code, 1, `without a press: exit ${before.code} ${before.stdout}${before.stderr}`);
  assert.match(before.stderr, /Touch account timed out/);
  ok(await token(['press']), 'token press');
  const { r: code, t: at } = await oneStep(async () =>
    ok(await ykman(['accounts', 'code', '-s', 'carol']), 'code -s carol after press').trim());
  assert.is(code, await oathtool({ secret: SEED, t: at }));
});

t('oath accounts list shows what token list shows', async () => {
  const ids = await tokenIds();
  assert.equal(await ykmanIds(), ids);
  assert.equal(ids, ['60/Slow:bob', 'Example:alice', 'Touchy:carol', 'dave'].sort());
});

t('oath accounts code gives oathtool\'s codes (SHA-1 30 s, SHA-256 60 s 8 digits), and token show gives the same',
  async () => {
  const { r: [codes, shown], t: at } = await oneStep(async () => [
    rows(ok(await ykman(['accounts', 'code']), 'ykman accounts code')),
    JSON.parse(ok(await token(['show', '--json']), 'token show --json')) as (Listed & { code: string | null })[],
  ] as const);
  const want = new Map([
    ['Example:alice', await oathtool({ secret: SEED, t: at })],
    ['60/Slow:bob', await oathtool({ secret: SEED, t: at, algorithm: 'SHA256', digits: 8, period: 60 })],
  ]);
  for (const [id, code] of want) {
    assert.is(codes.get(id), code, `ykman ${id}`);
    assert.is(shown.find((c) => idOf(c) === id)?.code, code, `token show ${id}`);
  }
});

t('accounts code -s QUERY gives oathtool\'s single code; an ambiguous query is refused', async () => {
  const { r: code, t: at } = await oneStep(async () =>
    ok(await ykman(['accounts', 'code', '-s', 'alice']), 'code -s alice').trim());
  assert.is(code, await oathtool({ secret: SEED, t: at }));
  const many = await ykman(['accounts', 'code', '-s', 'a']);
  assert.is(many.code, 1);
  assert.match(many.stderr, /Multiple matches/);
});

t('accounts code -s on HOTP: RFC 4226 Appendix D\'s codes for counters 2, 3, 4, 5, the device counting ' +
  '(enroll read counters 0 and 1 back)', async () => {
  const codes: string[] = [];
  for (let i = 0; i < 4; i++) codes.push(ok(await ykman(['accounts', 'code', '-s', 'dave']), 'code -s dave').trim());
  assert.equal(codes, ['359152', '969429', '338314', '254676']);
});

t('accounts add -o HOTP -c 5 -d 8: ykman\'s counter reaches the card; codes are RFC 4226 Appendix D\'s mod 10^8',
  async () => {
  ok(await ykman(['accounts', 'add', '-f', '-o', 'HOTP', '-c', '5', '-d', '8', 'henry', SEED]),
    'ykman accounts add HOTP');
  // Appendix D's truncated values 868254676 and 1918287922 (counters 5 and 6), 8 digits.
  assert.is(ok(await ykman(['accounts', 'code', '-s', 'henry']), 'code -s henry').trim(), '68254676');
  assert.is(ok(await ykman(['accounts', 'code', '-s', 'henry']), 'code -s henry').trim(), '18287922');
  assert.is(await oathtool({ secret: SEED, counter: 6, digits: 8 }), '18287922', 'and oathtool agrees');
});

t('oath accounts add and uri change the token, and token list sees it; codes are oathtool\'s (SHA-512, 7 digits)',
  async () => {
  ok(await ykman(['accounts', 'add', '-f', '-i', 'Acme', '-d', '7', 'eve', 'JBSWY3DPEHPK3PXP']), 'ykman accounts add');
  ok(await ykman(['accounts', 'uri', '-f',
    'otpauth://totp/Uri:frank?secret=JBSWY3DPEHPK3PXP&issuer=Uri&digits=8&algorithm=SHA512']), 'ykman accounts uri');
  const listed = JSON.parse(ok(await token(['list', '--json']), 'token list')) as
    (Listed & { digits: number; algorithm: string })[];
  const eve = listed.find((c) => idOf(c) === 'Acme:eve');
  const frank = listed.find((c) => idOf(c) === 'Uri:frank');
  assert.ok(eve && frank, `token list: ${listed.map(idOf).join(', ')}`);
  assert.is(eve!.digits, 7);
  assert.is(frank!.digits, 8);
  assert.is(frank!.algorithm, 'SHA512');
  const { r: [f, e], t: at } = await oneStep(async () => [
    ok(await ykman(['accounts', 'code', '-s', 'frank']), 'code -s frank').trim(),
    ok(await ykman(['accounts', 'code', '-s', 'eve']), 'code -s eve').trim(),
  ] as const);
  assert.is(f, await oathtool({ secret: 'JBSWY3DPEHPK3PXP', t: at, algorithm: 'SHA512', digits: 8 }));
  assert.is(e, await oathtool({ secret: 'JBSWY3DPEHPK3PXP', t: at, digits: 7 }));
});

t('a credential token enrolls while attached is seen by ykman', async () => {
  ok(await token(['enroll', '--secret', SEED, '--issuer', 'Late', '--name', 'gina']), 'token enroll while attached');
  assert.ok((await ykmanIds()).includes('Late:gina'));
});

t('oath accounts rename (ykman gates it at 5.3.1) keeps the secret; delete removes it; token list sees both',
  async () => {
  ok(await ykman(['accounts', 'rename', '-f', 'Acme:eve', 'NewAcme:eve2']), 'ykman rename');
  let ids = await tokenIds();
  assert.ok(ids.includes('NewAcme:eve2') && !ids.includes('Acme:eve'), ids.join(', '));
  const { r: code, t: at } = await oneStep(async () =>
    ok(await ykman(['accounts', 'code', '-s', 'eve2']), 'code -s eve2').trim());
  assert.is(code, await oathtool({ secret: 'JBSWY3DPEHPK3PXP', t: at, digits: 7 }));
  const taken = await ykman(['accounts', 'rename', '-f', 'NewAcme:eve2', 'Uri:frank']);
  assert.is(taken.code, 1, `rename onto a taken id: ${taken.stdout}${taken.stderr}`);
  ok(await ykman(['accounts', 'delete', '-f', 'NewAcme:eve2']), 'ykman delete');
  ids = await tokenIds();
  assert.not.ok(ids.some((i) => i.includes('eve')), ids.join(', '));
  assert.ok(ids.includes('Uri:frank'), 'the taken id is untouched');
  assert.equal(await ykmanIds(), ids);
});

t('replies over 255 bytes reach ykman through 61xx and SEND REMAINING; the 14 codes are oathtool\'s', async () => {
  // LIST and CALCULATE ALL of 14 more credentials with long ids pass 255 bytes.
  for (let i = 0; i < 14; i++) {
    ok(await token(['enroll', '--secret', SEED, '--issuer', `Bulk Issuer ${i}`,
      '--name', `someone.with.a.long.name${i}@example.com`]), 'enroll bulk');
  }
  const ids = await tokenIds();
  assert.ok(ids.length >= 18, `${ids.length} credentials`);
  assert.equal(await ykmanIds(), ids);
  const { r: codes, t: at } = await oneStep(async () =>
    rows(ok(await ykman(['accounts', 'code', 'Bulk']), 'ykman accounts code Bulk')));
  const want = await oathtool({ secret: SEED, t: at });
  assert.is(codes.size, 14);
  for (let i = 0; i < 14; i++) {
    assert.is(codes.get(`Bulk Issuer ${i}:someone.with.a.long.name${i}@example.com`), want, `Bulk ${i}`);
  }
});

t('a Steam account takes CALCULATE with P2=00: the 5-character code ykman shows is right', async () => {
  ok(await ykman(['accounts', 'add', '-f', '-i', 'Steam', 'gabe', SEED]), 'add Steam');
  const { r: code, t: at } = await oneStep(async () =>
    ok(await ykman(['accounts', 'code', '-s', 'Steam:gabe']), 'code -s Steam').trim());
  // Steam Guard: the dynamic truncation of HMAC-SHA1(seed, T), spelled in base 26 of this alphabet.
  const A = '23456789BCDFGHJKMNPQRTVWXY';
  const step = Buffer.alloc(8);
  step.writeBigUInt64BE(BigInt(Math.floor(at / 30)));
  const h = createHmac('sha1', Buffer.from('12345678901234567890')).update(step).digest();
  let v = h.readUInt32BE(h[19]! & 0x0f) & 0x7fffffff, want = '';
  for (let i = 0; i < 5; i++) { want += A[v % 26]; v = Math.floor(v / 26); }
  assert.is(code, want);
});

t('oath access change sets a code that ykman then needs, and token needs too; ykman info needs none', async () => {
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
  // Management is not behind the OATH password, on a YubiKey or here.
  assert.match(ok(await yk(['info']), 'ykman info while locked'), new RegExp(`^Serial number: ${YK_SERIAL}$`, 'm'));
});

t('a second attach on the same store is refused, naming the holder', async () => {
  const { cmd, args } = attachCommand(device, pcscd!.port);
  const r = await run(cmd, args, { env, timeoutMs: 60_000 });
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

t('pcscd restarted under an attached card (now naming its reader as a YubiKey\'s): attach dials again', async () => {
  const port = pcscd!.port;
  await pcscd!.stop();
  pcscd = undefined;
  // attach notices the closed socket and keeps dialling; wait for that, not for a fixed time.
  const gone = Date.now() + 60_000;
  while (cardConnected(port) && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
  assert.not.ok(cardConnected(port), 'the card saw vpcd go');
  assert.is(card!.child.exitCode, null, 'attach keeps retrying while vpcd is gone');
  pcscd = await startPcscd({ port, name: 'Yubico YubiKey CCID' });
  reader = pcscd.reader;
  const until = Date.now() + 60_000;
  while (!cardConnected(port) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  assert.ok(cardConnected(port), 'attach dialled the new pcscd within 60 s');
  await cardReady(reader);
  assert.equal(await ykmanIds(), await tokenIds());
});

t('in a reader named as a YubiKey\'s, ykman list and --device SERIAL find the token by its serial', async () => {
  const yks = (args: string[]) => run('ykman', args, { env, timeoutMs: 60_000 });
  const listed = ok(await yks(['list']), 'ykman list').split('\n');
  assert.ok(listed.includes(`YubiKey 5 (5.7.1) [CCID] Serial: ${YK_SERIAL}`), listed.join('\n'));
  assert.ok(ok(await yks(['list', '--serials']), 'ykman list --serials').split('\n').includes(YK_SERIAL));
  const info = ok(await yks(['--device', YK_SERIAL, 'info']), 'ykman --device SERIAL info');
  assert.match(info, /^Device type: YubiKey 5$/m);
  assert.match(info, /^Enabled USB interfaces: CCID$/m);
  assert.match(info, /^Firmware version: 5\.7\.1$/m);
  assert.match(ok(await yks(['--device', YK_SERIAL, 'oath', 'info']), 'ykman --device SERIAL oath info'),
    /OATH version: 5\.7\.1/);
});

t('SIGTERM detaches: attach exits 0 and leaves no attach lock', async () => {
  const code = await card!.stop();
  card = undefined;
  assert.is(code, 0);
  assert.not.ok(existsSync(`${device}.attach`));
});

y.run();
