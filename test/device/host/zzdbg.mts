// The vpcd wire protocol, card side, against a fake vpcd of our own on 127.0.0.1:
// the framing (vsmartcard doc/api.md), the control bytes, and ordering.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Socket, createServer, type Server } from 'node:net';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameReader, YUBIKEY5_ATR, frame, serve, type Card, type Control } from '/work/main/device/host/vpcd.js';
import { AttachError, attach, attachLockPath } from '/work/main/device/host/attach.js';
import { hostClock } from '/work/main/device/host/clock.js';
import { accessKey, boot, manufacture } from '/work/main/device/firmware/index.js';
import { freePort } from '/work/main/test/helpers.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fake vpcd: listens on 127.0.0.1, accepts one card, and reads its framed replies. */
async function fakeVpcd() {
  let accepted!: (s: Socket) => void;
  const conn = new Promise<Socket>((r) => (accepted = r));
  const server: Server = createServer((s) => accepted(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    port, conn,
    /** Collects the card's frames from vpcd's side. */
    async replies(s: Socket, n: number, ms = 2000): Promise<Uint8Array[]> {
      const r = new FrameReader();
      const got: Uint8Array[] = [];
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`got ${got.length} of ${n} replies`)), ms);
        const on = (c: Buffer) => { got.push(...r.push(c)); if (got.length >= n) { clearTimeout(t); s.off('data', on); resolve(); } };
        s.on('data', on);
      });
      return got;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const echoCard: Card = { transmit: async (apdu) => Uint8Array.from([...apdu.slice(1, 2), 0x90, 0x00]) };

function cardSide(port: number, card: Card, onControl?: (c: Control) => void) {
  return new Promise<{ sock: Socket; done: Promise<void> }>((resolve, reject) => {
    const s = new Socket();
    s.once('error', reject);
    s.connect(port, '127.0.0.1', () => resolve({ sock: s, done: serve(s, card, { onControl }) }));
  });
}

const framing = suite('vpcd framing');

framing('a frame is a 2-byte big-endian length, then the payload', () => {
  const f = frame(new Uint8Array(300).fill(7));
  assert.is(f.length, 302);
  assert.is(f[0], 0x01);
  assert.is(f[1], 0x2c);
  assert.is(hex(frame(Uint8Array.of(4))), '000104');
});

framing('the reader reassembles frames split at every byte and joined in one chunk', () => {
  const msgs = [Uint8Array.of(4), bytes('00a4040007a0000005272101'), new Uint8Array(260).fill(0xab)];
  const wire = Buffer.concat(msgs.map(frame));
  for (let cut = 0; cut <= wire.length; cut++) {
    const r = new FrameReader();
    const got = [...r.push(wire.subarray(0, cut)), ...r.push(wire.subarray(cut))];
    assert.equal(got.map(hex), msgs.map(hex), `cut at ${cut}`);
  }
  const r = new FrameReader();
  const one: Uint8Array[] = [];
  for (const b of wire) one.push(...r.push(Uint8Array.of(b)));
  assert.equal(one.map(hex), msgs.map(hex));
});

framing('the ATR is the documented YubiKey 5 NFC one over USB, with a valid TCK', () => {
  assert.is(hex(YUBIKEY5_ATR), '3bfd1300008131fe158073c021c057597562694b657940');
  // ykman picks USB when ATR[1] & 0xF0 == 0xF0 (ykman/pcsc ScardSmartCardConnection).
  assert.is(YUBIKEY5_ATR[1]! & 0xf0, 0xf0);
  // TCK: XOR of T0..TCK is 0 (ISO 7816-3 8.2.5).
  assert.is(YUBIKEY5_ATR.slice(1).reduce((a, b) => a ^ b, 0), 0);
});

const wire = suite('vpcd card side, against a fake vpcd on 127.0.0.1');

wire('04 is answered with the framed ATR; 00, 01 and 02 get no answer but reach onControl', async () => {
  const v = await fakeVpcd();
  const events: Control[] = [];
  const { sock } = await cardSide(v.port, echoCard, (c) => events.push(c));
  const s = await v.conn;
  s.write(Buffer.concat([frame(Uint8Array.of(1)), frame(Uint8Array.of(0)), frame(Uint8Array.of(2)), frame(Uint8Array.of(4))]));
  const [atr] = await v.replies(s, 1);
  assert.is(hex(atr!), hex(YUBIKEY5_ATR));
  await sleep(100);
  assert.equal(events, ['on', 'off', 'reset']);
  // Nothing more arrived: the controls were not answered.
  let extra = 0;
  s.on('data', () => extra++);
  await sleep(100);
  assert.is(extra, 0);
  sock.destroy(); s.destroy(); await v.close();
});

wire('an APDU is answered with the card response, framed', async () => {
  const v = await fakeVpcd();
  const card: Card = { transmit: async (a) => (hex(a) === '00a4040007a0000005272101' ? bytes('7903050701 9000') : bytes('6a82')) };
  const { sock } = await cardSide(v.port, card);
  const s = await v.conn;
  s.write(frame(bytes('00a4040007a0000005272101')));
  s.write(frame(bytes('00a4040008a000000527471117')));
  const r = await v.replies(s, 2);
  assert.equal(r.map(hex), ['79030507019000', '6a82']);
  sock.destroy(); s.destroy(); await v.close();
});

wire('replies keep request order even when the first APDU is the slow one', async () => {
  const v = await fakeVpcd();
  const card: Card = { transmit: async (a) => { if (a[1] === 0x01) await sleep(150); return Uint8Array.of(a[1]!, 0x90, 0x00); } };
  const { sock } = await cardSide(v.port, card);
  const s = await v.conn;
  s.write(Buffer.concat([frame(bytes('0001000000')), frame(Uint8Array.of(4)), frame(bytes('0002000000'))]));
  const r = await v.replies(s, 3);
  assert.equal(r.map(hex), ['019000', hex(YUBIKEY5_ATR), '029000']);
  sock.destroy(); s.destroy(); await v.close();
});

wire('a card that throws answers 6F00 instead of dropping the line (which would eject it)', async () => {
  const v = await fakeVpcd();
  const card: Card = { transmit: async () => { throw new Error('boom'); } };
  const { sock } = await cardSide(v.port, card);
  const s = await v.conn;
  s.write(frame(bytes('00a1000000')));
  s.write(frame(bytes('00a1000000')));
  const r = await v.replies(s, 2);
  assert.equal(r.map(hex), ['6f00', '6f00']);
  sock.destroy(); s.destroy(); await v.close();
});

wire('serve() resolves when vpcd closes the connection', async () => {
  const v = await fakeVpcd();
  const { done } = await cardSide(v.port, echoCard);
  const s = await v.conn;
  s.end();
  await done;
  await v.close();
});

// attach(): the real firmware behind the bridge, a fake vpcd in front of it.

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

const SELECT_OATH = '00a4040007a0000005272101';
const SELECT_MGMT = '00a4040008a000000527471117';
const silent = { info: () => {} };

async function newToken() {
  const dir = mkdtempSync(join(tmpdir(), 'fob-attach-'));
  const device = join(dir, 'token.dev');
  await manufacture(device, { driftPpm: 0, now: () => Date.now() / 1000 });
  return { dir, device, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const at = suite('attach(): the firmware as the card in vpcd');

at.skip('serves the firmware: ATR, 6A82 for other applets, the OATH SELECT; stops on abort with exit 0', async () => {
  const t = await newToken();
  const v = await fakeVpcdMany();
  const stop = new AbortController();
  const lines: string[] = [];
  const done = attach({ device: t.device, vpcd: { host: '127.0.0.1', port: v.port }, clock: hostClock(''), io: { info: (l) => lines.push(l), signal: stop.signal } });
  const s = await v.next();
  assert.is(hex(await exchange(s, Uint8Array.of(4))), hex(YUBIKEY5_ATR));
  assert.is(hex(await exchange(s, bytes(SELECT_MGMT))), '6a82');
  assert.is(hex(await exchange(s, bytes('00a4040007a0000005272001'))), '6a82');
  const sel = hex(await exchange(s, bytes(SELECT_OATH)));
  assert.match(sel, /^79030507017108[0-9a-f]{16}9000$/);
  assert.ok(existsSync(attachLockPath(t.device)), 'the attach lock is held while serving');
  stop.abort();
  assert.is(await done, 0);
  assert.not.ok(existsSync(attachLockPath(t.device)), 'the lock goes with the attach');
  assert.match(lines.join('\n'), new RegExp(`127\\.0\\.0\\.1:${v.port}`));
  await v.close(); t.done();
});

at('a second attach on the same store is refused; a dead holder\'s lock is taken over', async () => {
  const t = await newToken();
  console.error('L1');
  const v = await fakeVpcdMany();
  console.error('L2');
  const stop = new AbortController();
  console.error('L3');
  const first = attach({ device: t.device, vpcd: { host: '127.0.0.1', port: v.port }, clock: hostClock(''), io: { ...silent, signal: stop.signal } });
  console.error('L4');
  await v.next();
  console.error('L5');
  try {
    await attach({ device: t.device, vpcd: { host: '127.0.0.1', port: v.port }, clock: hostClock(''), io: silent });
  console.error('L7');
    assert.unreachable('a second attach must be refused');
  console.error('L8');
  } catch (e) {
    assert.instance(e, AttachError);
  console.error('L10');
    assert.is((e as AttachError).code, 'E_ATTACHED');
  console.error('L11');
    assert.match((e as Error).message, String(process.pid));
  console.error('L12');
  }
  stop.abort();
  console.error('L14');
  await first;
  console.error('L15');
  // A holder that no longer runs (pid 2^22 is past Linux's pid_max) leaves a stale lock.
  writeFileSync(attachLockPath(t.device), JSON.stringify({ pid: 4194304, start: '1' }));
  console.error('L17');
  const again = new AbortController();
  console.error('L18');
  const second = attach({ device: t.device, vpcd: { host: '127.0.0.1', port: v.port }, clock: hostClock(''), io: { ...silent, signal: again.signal } });
  console.error('L19');
  const s = await v.next();
  console.error('L20');
  assert.is(hex(await exchange(s, bytes(SELECT_MGMT))), '6a82');
  console.error('L21');
  assert.match(readFileSync(attachLockPath(t.device), 'utf8'), `"pid":${process.pid}`);
  console.error('L22');
  again.abort();
  console.error('L23');
  assert.is(await second, 0);
  console.error('L24');
  await v.close(); t.done();
  console.error('L25');
});
  console.error('L26');

at('a lost connection is dialled again, and the card keeps serving', async () => {
  const t = await newToken();
  const v = await fakeVpcdMany();
  const stop = new AbortController();
  const lines: string[] = [];
  const done = attach({ device: t.device, vpcd: { host: '127.0.0.1', port: v.port }, clock: hostClock(''), io: { info: (l) => lines.push(l), signal: stop.signal } });
  const s1 = await v.next();
  assert.is(hex(await exchange(s1, bytes(SELECT_MGMT))), '6a82');
  s1.destroy();
  const s2 = await v.next(3000);
  assert.match(hex(await exchange(s2, bytes(SELECT_OATH))), /9000$/);
  assert.match(lines.join('\n'), /lost vpcd/);
  stop.abort();
  assert.is(await done, 0);
  await v.close(); t.done();
});

at('with no vpcd to reach, attach gives up after the retry time, naming the address', async () => {
  const t = await newToken();
  const port = await freePort();
  const t0 = Date.now();
  try {
    await attach({ device: t.device, vpcd: { host: '127.0.0.1', port }, clock: hostClock(''), io: silent, retryMs: 1200 });
    assert.unreachable('attach must fail');
  } catch (e) {
    assert.is((e as AttachError).code, 'E_VPCD_LOST');
    assert.match((e as Error).message, `127.0.0.1:${port}`);
  }
  const took = Date.now() - t0;
  assert.ok(took >= 1200 && took < 5000, `gave up after ${took} ms`);
  assert.not.ok(existsSync(attachLockPath(t.device)));
  t.done();
});

at('power-off and reset end a VALIDATEd session, as on a card', async () => {
  const t = await newToken();
  // Set an access code through the firmware's door, as ykman's SET CODE does.
  const dev = await boot({ path: t.device, now: () => Date.now() / 1000 });
  const salt = (await dev.transmit(bytes(SELECT_OATH))).slice(7, 15);
  const K = accessKey('1234', salt);
  const chal = bytes('0102030405060708');
  const mac = createHmac('sha1', K).update(chal).digest();
  const set = bytes(`000300003373112 1${hex(K)}7408${hex(chal)}7514${mac.toString('hex')}`);
  assert.is(hex(await dev.transmit(set)), '9000');
  await dev.close();

  const v = await fakeVpcdMany();
  const stop = new AbortController();
  const done = attach({ device: t.device, vpcd: { host: '127.0.0.1', port: v.port }, clock: hostClock(''), accessCode: '1234', io: { ...silent, signal: stop.signal } });
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
  stop.abort();
  assert.is(await done, 0);
  await v.close(); t.done();
});

framing.run();
wire.run();
at.run();
