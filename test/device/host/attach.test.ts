// attach(): the real firmware behind the vpcd bridge, a fake vpcd of our own on 127.0.0.1
// in front of it: serving, the attach lock, reconnecting, giving up, power cycles.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameReader, YUBIKEY5_ATR, frame } from '../../../device/host/attach.js';
import { AttachError, attach, attachLockPath } from '../../../device/host/attach.js';
import { hostClock } from '../../../lib/clock.js';
import { accessKey, boot, manufacture } from '../../../device/firmware/index.js';
import { freePort } from '../../helpers.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

/** A fake vpcd accepting any number of card connections, in order. */
async function fakeVpcdMany() {
  const conns: Socket[] = [];
  const waiters: ((s: Socket) => void)[] = [];
  const server: Server = createServer((s) => { const w = waiters.shift(); if (w) w(s); else conns.push(s); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    next: (ms = 5000) => new Promise<Socket>((resolve, reject) => {
      const s = conns.shift();
      if (s) return resolve(s);
      const t = setTimeout(() => reject(new Error('no card connected')), ms);
      waiters.push((c) => { clearTimeout(t); resolve(c); });
    }),
    close: () => new Promise<void>((r) => { server.close(() => r()); for (const c of conns) c.destroy(); }),
  };
}

/** vpcd's side of one exchange: send a frame, read one framed reply. */
function exchange(s: Socket, payload: Uint8Array, ms = 5000): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const r = new FrameReader();
    const t = setTimeout(() => { s.off('data', on); reject(new Error(`no reply to ${hex(payload)}`)); }, ms);
    const on = (c: Buffer) => { const [m] = r.push(c); if (m) { clearTimeout(t); s.off('data', on); resolve(m); } };
    s.on('data', on);
    s.write(frame(payload));
  });
}

/** attach() must not hang a test: a promise that takes too long fails it instead. */
function within<T>(p: Promise<T>, ms = 5000): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, rej) => {
    t = setTimeout(() => rej(new Error(`not done in ${ms} ms`)), ms);
  })]).finally(() => clearTimeout(t));
}

const SELECT_OATH = '00a4040007a0000005272101';
const SELECT_MGMT = '00a4040008a000000527471117';
/** Management answers its SELECT with the firmware version, "5.7.1". */
const MGMT_VERSION = `${Buffer.from('5.7.1').toString('hex')}9000`;
const silent = { info: () => {} };

async function newToken() {
  const dir = mkdtempSync(join(tmpdir(), 'fob-attach-'));
  const device = join(dir, 'token.dev');
  await manufacture(device, { driftPpm: 0, now: () => Date.now() / 1000 });
  return { dir, device, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const at = suite('attach(): the firmware as the card in vpcd');

at('serves the firmware: ATR, the Management version, 6A82 for other applets, the OATH SELECT; ' +
  'stops on abort with exit 0', async () => {
  const t = await newToken();
  const v = await fakeVpcdMany();
  const stop = new AbortController();
  const lines: string[] = [];
  const done = attach({ device: t.device, vpcd: { host: '127.0.0.1', port: v.port }, clock: hostClock(''),
    io: { info: (l) => lines.push(l), signal: stop.signal } });
  const s = await v.next();
  assert.is(hex(await exchange(s, Uint8Array.of(4))), hex(YUBIKEY5_ATR));
  assert.is(hex(await exchange(s, bytes(SELECT_MGMT))), MGMT_VERSION);
  assert.is(hex(await exchange(s, bytes('00a4040007a0000005272001'))), '6a82');
  const sel = hex(await exchange(s, bytes(SELECT_OATH)));
  assert.match(sel, /^79030507017108[0-9a-f]{16}9000$/);
  assert.ok(existsSync(attachLockPath(t.device)), 'the attach lock is held while serving');
  stop.abort();
  assert.is(await within(done), 0);
  assert.not.ok(existsSync(attachLockPath(t.device)), 'the lock goes with the attach');
  assert.match(lines.join('\n'), new RegExp(`127\\.0\\.0\\.1:${v.port}`));
  await v.close(); t.done();
});

at('a second attach on the same store is refused; a dead holder\'s lock is taken over', async () => {
  const t = await newToken();
  const v = await fakeVpcdMany();
  const stop = new AbortController();
  const first = attach({ device: t.device, vpcd: { host: '127.0.0.1', port: v.port }, clock: hostClock(''),
    io: { ...silent, signal: stop.signal } });
  await v.next();
  try {
    await attach({ device: t.device, vpcd: { host: '127.0.0.1', port: v.port }, clock: hostClock(''), io: silent });
    assert.unreachable('a second attach must be refused');
  } catch (e) {
    assert.instance(e, AttachError);
    assert.is((e as AttachError).code, 'E_ATTACHED');
    assert.match((e as Error).message, String(process.pid));
  }
  stop.abort();
  assert.is(await within(first), 0);
  // A holder that no longer runs (pid 2^22 is past Linux's pid_max) leaves a stale lock.
  writeFileSync(attachLockPath(t.device), JSON.stringify({ pid: 4194304, start: '1' }));
  const again = new AbortController();
  const second = attach({ device: t.device, vpcd: { host: '127.0.0.1', port: v.port }, clock: hostClock(''),
    io: { ...silent, signal: again.signal } });
  const s = await v.next();
  assert.is(hex(await exchange(s, bytes(SELECT_MGMT))), MGMT_VERSION);
  assert.match(readFileSync(attachLockPath(t.device), 'utf8'), `"pid":${process.pid}`);
  again.abort();
  assert.is(await within(second), 0);
  await v.close(); t.done();
});

at('a lost connection is dialled again, and the card keeps serving', async () => {
  const t = await newToken();
  const v = await fakeVpcdMany();
  const stop = new AbortController();
  const lines: string[] = [];
  const done = attach({ device: t.device, vpcd: { host: '127.0.0.1', port: v.port }, clock: hostClock(''),
    io: { info: (l) => lines.push(l), signal: stop.signal } });
  const s1 = await v.next();
  assert.is(hex(await exchange(s1, bytes(SELECT_MGMT))), MGMT_VERSION);
  s1.destroy();
  const s2 = await v.next(3000);
  assert.match(hex(await exchange(s2, bytes(SELECT_OATH))), /9000$/);
  assert.match(lines.join('\n'), /lost vpcd/);
  stop.abort();
  assert.is(await within(done), 0);
  await v.close(); t.done();
});

at('with no vpcd to reach, attach gives up after the retry time, naming the address', async () => {
  const t = await newToken();
  const port = await freePort();
  const t0 = Date.now();
  try {
    await attach({ device: t.device, vpcd: { host: '127.0.0.1', port }, clock: hostClock(''), io: silent,
      retryMs: 1200 });
    assert.unreachable('attach must fail');
  } catch (e) {
    assert.is((e as AttachError).code, 'E_VPCD_LOST');
    assert.match((e as Error).message, `127.0.0.1:${port}`);
  }
  const took = Date.now() - t0;
  // The lower bound is the retry time; the upper only catches an attach that never gives up (load makes it slow,
  // not wrong).
  assert.ok(took >= 1200 && took < 30_000, `gave up after ${took} ms`);
  assert.not.ok(existsSync(attachLockPath(t.device)));
  t.done();
});

at('a locked token: refused without its code, and power-off and reset end a VALIDATEd session', async () => {
  const t = await newToken();
  // Set an access code through the firmware's door, as ykman's SET CODE does.
  const dev = await boot({ path: t.device, now: () => Date.now() / 1000 });
  const salt = (await dev.card.transmit(bytes(SELECT_OATH))).slice(7, 15);
  const K = accessKey('1234', salt);
  const chal = bytes('0102030405060708');
  const mac = createHmac('sha1', K).update(chal).digest();
  const set = bytes(`000300003373112 1${hex(K)}7408${hex(chal)}7514${mac.toString('hex')}`);
  assert.is(hex(await dev.card.transmit(set)), '9000');
  await dev.close();

  const v = await fakeVpcdMany();
  const base = { device: t.device, vpcd: { host: '127.0.0.1', port: v.port }, clock: hostClock('') };
  // Without K in RAM the device could not check ykman's VALIDATE: attach says so up front.
  try {
    await attach({ ...base, io: silent });
    assert.unreachable('a locked token needs its code');
  } catch (e) {
    assert.is((e as { code: string }).code, 'E_LOCKED');
    assert.match((e as Error).message, 'TOKEN_ACCESS_CODE');
  }
  assert.not.ok(existsSync(attachLockPath(t.device)), 'a refused attach leaves no lock');
  const stop = new AbortController();
  let asked = 0;
  const done = attach({ ...base, accessCode: async () => { asked++; return '1234'; },
    io: { ...silent, signal: stop.signal } });
  const s = await v.next();
  const validate = async () => {
    const sel = await exchange(s, bytes(SELECT_OATH));
    const i = Buffer.from(sel).indexOf(Buffer.from([0x74, 0x08]));
    const challenge = sel.slice(i + 2, i + 10);
    const resp = createHmac('sha1', K).update(challenge).digest();
    const v = await exchange(s, bytes(`00a3000020 7514${resp.toString('hex')} 7408${'00'.repeat(8)}`));
    assert.match(hex(v), /^7514[0-9a-f]{40}9000$/);
  };
  await validate();
  assert.is(hex(await exchange(s, bytes('00a1000000'))), '9000', 'LIST after VALIDATE');
  s.write(frame(Uint8Array.of(0)));
  assert.is(hex(await exchange(s, bytes('00a1000000'))), '6982', 'LIST after power-off');
  await validate();
  s.write(frame(Uint8Array.of(2)));
  assert.is(hex(await exchange(s, bytes('00a1000000'))), '6982', 'LIST after reset');
  assert.is(asked, 1, 'the code is asked for once');
  stop.abort();
  assert.is(await within(done), 0);
  await v.close(); t.done();
});

at('a store that is not there is named, with the way to make one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fob-attach-'));
  try {
    await attach({ device: join(dir, 'nope.dev'), vpcd: { host: '127.0.0.1', port: 9 }, clock: hostClock(''),
      io: silent });
    assert.unreachable('no store');
  } catch (e) {
    assert.is((e as { code: string }).code, 'E_NO_DEVICE');
    assert.match((e as Error).message, 'token init');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

at.run();
