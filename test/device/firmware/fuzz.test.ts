// 100,000 random and mutated APDUs in-process, through the same transmit() a process uses.
// Every answer must end in a status word this card speaks, and none may carry a seed. 6F00 is
// not one of them here: the device passed its self-test, so 6F00 can only be the dispatcher's
// catch-all turning an exception inside an applet into a status word, which is a crash to fix.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac, pbkdf2Sync } from 'node:crypto';
import { boot } from '../../../device/firmware/index.js';
import { fresh, h, x, SELECT } from './util.js';
import { rng } from '../core/rng.js';

const TOTAL = 100_000;
const SEED_HEX = Buffer.from('12345678901234567890').toString('hex');
const SEED = `"12345678901234567890"`;
const SW1 = new Set([0x90, 0x61, 0x63, 0x67, 0x69, 0x6a, 0x6b, 0x6d, 0x6e]);

// mulberry32: a seeded PRNG, so a failure can be replayed with FUZZ_SEED.
const apdu = (head: string, data: string) => {
  const d = h(data);
  return h(`${head} ${d.length.toString(16).padStart(2, '0')} ${x(d)}`);
};

/** Valid commands of every kind; mutations start from these. */
const CORPUS: Uint8Array[] = [
  h(SELECT),
  h('00 A4 04 00 08 A0 00 00 05 27 47 11 17'),
  apdu('00 01 00 00', `71 04 "sha1" 73 16 21 06 ${SEED}`),
  apdu('00 01 00 00', `71 06 "sha256" 73 16 22 08 ${SEED}`),
  apdu('00 01 00 00', `71 06 "sha512" 73 16 23 07 ${SEED}`),
  apdu('00 01 00 00', `71 0B "60/Slow:bob" 73 16 21 06 ${SEED}`),
  apdu('00 01 00 00', `71 04 "hotp" 73 16 11 06 ${SEED} 7A 04 00 00 00 07`),
  apdu('00 01 00 00', `71 05 "touch" 73 16 21 06 ${SEED} 78 02`),
  apdu('00 01 00 00', `71 06 "thotp1" 73 16 12 08 ${SEED} 78 02 7A 04 FF FF FF FE`),
  apdu('00 02 00 00', '71 04 "sha1"'),
  apdu('00 05 00 00', '71 06 "sha256" 71 07 "Iss:new"'),
  apdu('00 05 00 00', '71 07 "Iss:new" 71 06 "sha256"'),
  h('00 A1 00 00 00'),
  apdu('00 A2 00 01', '71 04 "sha1" 74 08 00 00 00 00 00 00 00 01'),
  apdu('00 A2 00 00', '71 06 "sha512" 74 08 00 00 00 00 03 5A 4E 90'),
  apdu('00 A2 00 01', '71 04 "hotp" 74 00'),
  apdu('00 A2 00 01', '71 05 "touch" 74 08 00 00 00 00 00 00 00 02'),
  apdu('00 A4 00 01', '74 08 00 00 00 00 03 5A 4E 90'),
  apdu('00 A4 00 00', '74 08 00 00 00 00 03 5A 4E 90'),
  apdu('00 A3 00 00', `75 14 ${'00'.repeat(20)} 74 08 01 02 03 04 05 06 07 08`),
  apdu('00 03 00 00', `73 11 21 ${'11'.repeat(16)} 74 08 ${'22'.repeat(8)} 75 14 ${'33'.repeat(20)}`),
  h('00 03 00 00 02 73 00'),
  h('00 A5 00 00 00'),
  h('00 04 DE AD 00'),
  h('80 10 00 00 00'),
  h('80 12 00 00 00'),
  h('80 14 00 00 00'),
  apdu('80 11 00 00', '00 00 01 8B CF E5 68 00'),
  apdu('80 11 01 00', '00 00 01 8B CF E5 68 00'),
  apdu('80 13 00 00', '71 04 "sha1" 74 08 00 00 00 00 03 5A 4E 90'),
  apdu('80 13 01 00', '71 06 "sha256" 74 08 00 00 00 00 03 5A 4E 91'),
  h('10 01 00 00 05 71 03 "abc"'),
];

function mutate(r: ReturnType<typeof rng>, base: Uint8Array): Uint8Array {
  const a = Array.from(base);
  const n = 1 + r.int(3);
  for (let i = 0; i < n; i++) {
    switch (r.int(8)) {
      case 0: if (a.length) a[r.int(a.length)] = r.int(256); break; // any byte
      case 1: if (a.length) a[r.int(a.length)]! ^= 1 << r.int(8); break; // one bit
      case 2: a.splice(r.int(a.length + 1), 0, r.int(256)); break; // insert
      case 3: a.splice(r.int(a.length), 1); break; // delete
      case 4: a.length = r.int(a.length + 1); break; // truncate
      case 5: if (a.length > 4) a[4] = r.int(256); break; // Lc
      case 6: // TLV lengths
        if (a.length > 6) a[5 + r.int(a.length - 5)] = [0x00, 0x7f, 0x80, 0x81, 0x82, 0xff][r.int(6)]!;
        break;
      default: a.push(...Array.from({ length: r.int(300) }, () => r.int(256))); // tail
    }
  }
  // Half the time the length byte is made to fit, so the mutation reaches the applet.
  if (a.length > 5 && a.length <= 260 && a[4] !== 0 && r.next() < 0.5) a[4] = a.length - 5;
  return Uint8Array.from(a);
}

function randomApdu(r: ReturnType<typeof rng>): Uint8Array {
  const len = r.next() < 0.5 ? r.int(8) : r.int(400);
  const a = Uint8Array.from({ length: len }, () => r.int(256));
  if (len > 1 && r.next() < 0.5) a[0] = [0x00, 0x10, 0x80][r.int(3)]!; // reach the applets more often
  if (len > 1 && r.next() < 0.5) {
    a[1] = [0x01, 0x02, 0x03, 0x04, 0x05, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0x10, 0x11, 0x12, 0x13, 0x14][r.int(15)]!;
  }
  return a;
}

test(`${TOTAL.toLocaleString('en')} random and mutated APDUs each end in a status word, ` +
  'and none carries a seed', async () => {
  const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));
  const r = rng(seed);
  const f = await fresh();
  assert.ok(f.dev.healthy, 'the self-test passed, so no answer may be 6F00');
  const seen = new Map<string, number>();
  let lockedOk = 0, locked = false, challenge: Buffer | null = null, K: Buffer | null = null;
  let dev = f.dev;
  try {
    for (let i = 0; i < TOTAL; i++) {
      // The second part runs locked by an access code, so the sealed paths are shaken too.
      if (i === TOTAL * 0.7) {
        const sel = Buffer.from(await dev.card.transmit(h(SELECT)));
        const salt = sel.subarray(7, 15);
        K = pbkdf2Sync('fuzz', salt, 1000, 16, 'sha1');
        const c = Buffer.alloc(8, 9);
        await dev.card.transmit(apdu('00 03 00 00',
          `73 11 21 ${x(K)} 74 08 ${x(c)} 75 14 ${x(createHmac('sha1', K).update(c).digest())}`));
        await dev.close();
        dev = await boot({ path: f.path, now: f.clock.now, sleep: f.clock.sleep, accessCode: 'fuzz' });
        locked = true;
      }
      let cmd: Uint8Array;
      if (locked && challenge && r.next() < 0.5) {
        cmd = apdu('00 A3 00 00',
          `75 14 ${x(createHmac('sha1', K!).update(challenge).digest())} 74 08 0102030405060708`);
      } else {
        const p = r.next();
        cmd = p < 0.25 ? CORPUS[r.int(CORPUS.length)]!
          : p < 0.85 ? mutate(r, CORPUS[r.int(CORPUS.length)]!)
          : randomApdu(r);
      }
      f.clock.advance(r.int(40));
      const res = await dev.card.transmit(cmd);
      assert.ok(res instanceof Uint8Array && res.length >= 2, `APDU ${x(cmd)} (FUZZ_SEED=${seed}) got no status word`);
      const sw1 = res[res.length - 2]!;
      if (sw1 === 0x6f) {
        assert.unreachable(`APDU ${x(cmd)} (FUZZ_SEED=${seed}) answered ${x(res)}: ` +
          'an exception inside the applet (the device is healthy)');
      }
      if (!SW1.has(sw1)) assert.unreachable(`APDU ${x(cmd)} (FUZZ_SEED=${seed}) answered ${x(res)}`);
      if (x(res).includes(SEED_HEX.toUpperCase())) {
        assert.unreachable(`APDU ${x(cmd)} (FUZZ_SEED=${seed}) leaked a seed`);
      }
      const sw = x(res.subarray(-2));
      seen.set(sw, (seen.get(sw) ?? 0) + 1);
      if (locked && sw === '9000' && (cmd[1] === 0xa2 || cmd[1] === 0xa4 && cmd[2] === 0)) lockedOk++;
      if (cmd.length === 12 && x(cmd) === x(h(SELECT))) {
        const m = /7408([0-9A-F]{16})7B0101/.exec(x(res));
        challenge = m ? Buffer.from(m[1]!, 'hex') : null;
      }
    }
    // The store came through readable, and the device still works.
    const again = await boot({ path: f.path, now: f.clock.now });
    assert.is(x((await again.card.transmit(h('80 10 00 00 00'))).subarray(-2)), '9000');
    await again.close();
    assert.ok(lockedOk > 0, 'codes were computed from sealed secrets too');
    for (const sw of ['9000', '6700', '6A80', '6984', '6982', '6D00', '6E00', '6B00']) {
      assert.ok((seen.get(sw) ?? 0) > 0, `never saw ${sw}`);
    }
    process.stderr.write(`fuzz: seed ${seed}, ${lockedOk} codes under a code, ` +
      `${[...seen].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}×${v}`).join(' ')}\n`);
  } finally {
    await dev.close();
    await f.done();
  }
});

test.run();
