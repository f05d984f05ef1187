// The vpcd wire protocol, card side, against a fake vpcd of our own on 127.0.0.1:
// the framing (vsmartcard doc/api.md), the control bytes, and ordering.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Socket, createServer, type Server } from 'node:net';
import { FrameReader, YUBIKEY5_ATR, frame, serve, type Door, type Control } from '../../../device/host/attach.js';

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
        const on = (c: Buffer) => {
          got.push(...r.push(c)); if (got.length >= n) { clearTimeout(t); s.off('data', on); resolve(); }
        };
        s.on('data', on);
      });
      return got;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const echoCard: Door = { transmit: async (apdu) => Uint8Array.from([...apdu.slice(1, 2), 0x90, 0x00]) };

function cardSide(port: number, card: Door, onControl?: (c: Control) => void) {
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
  s.write(Buffer.concat([frame(Uint8Array.of(1)), frame(Uint8Array.of(0)), frame(Uint8Array.of(2)),
    frame(Uint8Array.of(4))]));
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
  const card: Door = {
    transmit: async (a) => (hex(a) === '00a4040007a0000005272101' ? bytes('7903050701 9000') : bytes('6a82')),
  };
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
  const card: Door = {
    transmit: async (a) => { if (a[1] === 0x01) await sleep(150); return Uint8Array.of(a[1]!, 0x90, 0x00); },
  };
  const { sock } = await cardSide(v.port, card);
  const s = await v.conn;
  s.write(Buffer.concat([frame(bytes('0001000000')), frame(Uint8Array.of(4)), frame(bytes('0002000000'))]));
  const r = await v.replies(s, 3);
  assert.equal(r.map(hex), ['019000', hex(YUBIKEY5_ATR), '029000']);
  sock.destroy(); s.destroy(); await v.close();
});

wire('a card that throws answers 6F00 instead of dropping the line (which would eject it)', async () => {
  const v = await fakeVpcd();
  const card: Door = { transmit: async () => { throw new Error('boom'); } };
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

framing.run();
wire.run();
