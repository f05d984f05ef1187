// The RTC: value set + host time elapsed × (1 + ppm/1e6), monotonic SET TIME, GET INFO.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { manufacture, FirmwareError } from '../../../device/firmware/index.js';
import { tempDir } from '../../helpers.js';
import { fresh, h, tx, x } from './util.js';

const T0 = 1_700_000_000; // fresh()'s host clock starts here
const YEAR = 365 * 86400;
const readClock = async (d: Parameters<typeof tx>[0]) => {
  const r = await tx(d, '80 12 00 00 00');
  assert.is(r.slice(-4), '9000');
  assert.is(r.length, 20, 'READ CLOCK: 8 bytes of Unix ms');
  return Number(BigInt('0x' + r.slice(0, 16)));
};
const ms8 = (ms: number) => x(h(BigInt(ms).toString(16).padStart(16, '0')));

const S = suite('RTC');

S('a 0 ppm clock keeps host time exactly', async () => {
  const f = await fresh();
  assert.is(await readClock(f.dev), T0 * 1000);
  f.clock.advance(YEAR);
  assert.is(await readClock(f.dev), (T0 + YEAR) * 1000);
  await f.done();
});

S('+20 ppm gains 630.72 s in a year; -7.5 ppm loses 236.52 s', async () => {
  for (const [ppm, gain] of [[20, 630_720], [-7.5, -236_520]] as const) {
    const f = await fresh({ driftPpm: ppm });
    f.clock.advance(YEAR);
    assert.is(await readClock(f.dev), (T0 + YEAR) * 1000 + gain);
    // Drift runs from the last set: after SET TIME the error starts again from zero.
    assert.is(await tx(f.dev, `80 11 01 00 08 ${ms8((T0 + YEAR) * 1000)}`), '9000');
    assert.is(await readClock(f.dev), (T0 + YEAR) * 1000);
    f.clock.advance(86400);
    assert.is(await readClock(f.dev), (T0 + YEAR + 86400) * 1000 + Math.floor(86400 * ppm / 1000));
    await f.done();
  }
});

S("'random' drift is crystal-like: within ±20 ppm, in thousandths, and not always the same", async () => {
  const t = tempDir('fw-drift-');
  try {
    const seen = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const id = await manufacture(join(t.dir, `d${i}.dev`), { now: () => T0, driftPpm: 'random' });
      assert.ok(Math.abs(id.driftPpm) <= 20, `${id.driftPpm}`);
      assert.ok(Math.abs(Math.round(id.driftPpm * 1000) - id.driftPpm * 1000) < 1e-6, 'whole thousandths of a ppm');
      seen.add(id.driftPpm);
    }
    assert.ok(seen.size > 30);
    const bad = await manufacture(join(t.dir, 'x.dev'), { now: () => T0, driftPpm: 5000 }).catch((e: unknown) => e);
    assert.instance(bad, FirmwareError);
    assert.is((bad as FirmwareError).code, 'E_DRIFT');
  } finally { t.done(); }
});

S('SET TIME goes forward freely, backwards only with P1=01 (force)', async () => {
  const f = await fresh({ driftPpm: 10 });
  f.clock.advance(1000);
  const rtc = await readClock(f.dev);
  assert.is(await tx(f.dev, `80 11 00 00 08 ${ms8(rtc + 5000)}`), '9000');
  assert.is(await readClock(f.dev), rtc + 5000);
  assert.is(await tx(f.dev, `80 11 00 00 08 ${ms8(rtc + 5000 - 1001)}`), '6985', 'over a second back is refused');
  assert.is(await readClock(f.dev), rtc + 5000, 'and changes nothing');
  assert.is(await tx(f.dev, `80 11 01 00 08 ${ms8(59_000)}`), '9000', 'forced to t=59');
  assert.is(await readClock(f.dev), 59_000);
  assert.is(await tx(f.dev, `80 11 00 00 07 ${ms8(59_000).slice(2)}`), '6700');
  assert.is(await tx(f.dev, `80 11 02 00 08 ${ms8(59_000)}`), '6B00');
  assert.is(await tx(f.dev, '80 11 00 00 08 FF FF FF FF FF FF FF FF'), '6A80', 'beyond 2^53 ms');
  await f.done();
});

S('a sync to the host time read a moment before the device reads its RTC succeeds unforced ' +
  '(≤ 1 s of slack)', async () => {
  const f = await fresh();
  f.clock.advance(1000);
  // The host read its clock, then 0.4 s passed before the device read its own (a 0-ppm token).
  const host = Math.round(f.clock.now() * 1000);
  f.clock.advance(0.4);
  assert.is(await tx(f.dev, `80 11 00 00 08 ${ms8(host)}`), '9000');
  assert.is(await readClock(f.dev), host + 0, 'set to the host time');
  f.clock.advance(0.999);
  assert.is(await tx(f.dev, `80 11 00 00 08 ${ms8(host)}`), '9000', '999 ms behind the RTC is still "now"');
  assert.is(await tx(f.dev, `80 11 00 00 08 ${ms8(host - 1002)}`), '6985',
    'a real step back still needs the force flag');
  await f.done();
});

S('GET INFO: serial, model, version, count, capacity, RTC, drift, manufactured, code set, retries', async () => {
  const f = await fresh({ serial: 'GAHT12345678', driftPpm: -12.345 });
  await tx(f.dev, '00 01 00 00 1E 71 04 "sha1" 73 16 21 06 "12345678901234567890"');
  f.clock.advance(100);
  // 100 s × -12.345 ppm = -1.2345 ms; drift -12.345 ppm × 1000 = -12345 = FFFFCFC7.
  assert.is(await tx(f.dev, '80 10 00 00 00'), x(h(
    `80 0C "GAHT12345678" 81 05 "FOB-1" 82 03 05 07 01 83 01 01 84 01 40 ` +
    `85 08 ${ms8(Math.floor((T0 + 100) * 1000 - 1.2345))} ` +
    `86 04 FF FF CF C7 87 08 ${ms8(T0 * 1000)} 88 01 00 89 01 08 90 00`)));
  await f.done();
});

S('unknown vendor INS is 6D00', async () => {
  const f = await fresh();
  assert.is(await tx(f.dev, '80 99 00 00 00'), '6D00');
  await f.done();
});

S.run();
