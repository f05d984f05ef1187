// Power-on self-test: RFC 4226 c=0 and RFC 6238 t=59 for SHA-1/256/512 before first use.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac } from 'node:crypto';
import { boot, type HashFn } from '../../../device/firmware/index.js';
import { fresh, tx, SELECT, type Fresh } from './util.js';

const real: HashFn = (alg, key, msg) => new Uint8Array(createHmac(alg.toLowerCase(), key).update(msg).digest());

const S = suite('power-on self-test');
let f: Fresh;
S.before.each(async () => {
  f = await fresh();
  await tx(f.dev, '00 01 00 00 1E 71 04 "sha1" 73 16 21 06 "12345678901234567890"');
});
S.after.each(async () => { await f.done(); });

S('a sound engine passes: healthy, and the device answers', async () => {
  const d = await boot({ path: f.path, now: f.clock.now, kat: real });
  assert.ok(d.healthy);
  assert.is(await tx(d, '00 A1 00 00 00'), '72052173686131' + '9000');
  await d.close();
});

const broken: [string, HashFn][] = [
  ['every digest zero', (_a, _k, _m) => new Uint8Array(20)],
  // One bit in the bytes dynamic truncation reads (RFC 4226 §5.3); a KAT only sees those.
  ['SHA-512 off by one bit', (a, k, m) => {
    const d = real(a, k, m);
    if (a === 'SHA512') d[d[d.length - 1]! & 15]! ^= 0x10;
    return d;
  }],
  ['SHA-256 with the 20-byte seed (the RFC 6238 prose, not its table)',
    (a, k, m) => real(a, a === 'SHA256' ? k.subarray(0, 20) : k, m)],
  ['an engine that throws', () => { throw new Error('engine fault'); }],
];

for (const [name, kat] of broken) {
  S(`an injected broken hash (${name}) latches 6F00 on every APDU and Err on the display`, async () => {
    const d = await boot({ path: f.path, now: f.clock.now, kat });
    assert.not.ok(d.healthy);
    for (const a of [
      SELECT, '00 A1 00 00 00', '00 A4 00 01 0A 74 08 0000000000000001', '80 10 00 00 00', '80 12 00 00 00', 'FF',
      '00 04 DE AD 00',
    ]) {
      assert.is(await tx(d, a), '6F00', a);
    }
    const frames = await d.panel.display();
    assert.is(frames.length, 1);
    assert.is(frames[0]!.code, 'Err');
    await d.close();
    // Nothing was written: RESET was refused, the credential is still there.
    assert.is(await tx(f.dev, '00 A1 00 00 00'), '720521736861319000');
  });
}

S.run();
