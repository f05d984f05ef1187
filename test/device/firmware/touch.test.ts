// Touch credentials compute over the APDU face only after a press: in the 15 s before the
// command, or while it waits up to 15 s, as a YubiKey blinks and waits. Otherwise 6982.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { boot } from '../../../device/firmware/index.js';
import { fresh, tx, writerScript, type Fresh } from './util.js';

const SEED = '"12345678901234567890"';
const CALC = '00 A2 00 01 10 71 04 "tch1" 74 08 0000000000000001';
const OK = '76050641397EEA9000';

const S = suite('touch');
let f: Fresh;
S.before.each(async () => {
  f = await fresh();
  assert.is(await tx(f.dev, `00 01 00 00 20 71 04 "tch1" 73 16 21 06 ${SEED} 78 02`), '9000');
});
S.after.each(async () => { await f.done(); });

S('no press: the command waits 15 s, then answers 6982', async () => {
  const t0 = f.clock.now();
  assert.is(await tx(f.dev, CALC), '6982');
  const waited = f.clock.now() - t0;
  assert.ok(waited > 14.99 && waited < 15.5, `waited ${waited} s`);
});

S('a fixed host clock with a timer that does not move it still gives up after 15 s of waiting', async () => {
  let slept = 0;
  const d = await boot({ path: f.path, now: f.clock.now, sleep: async (ms) => { slept += ms; } });
  assert.is(await tx(d, CALC), '6982');
  assert.is(slept, 15_000);
  await d.close();
});

S('a press up to 15 s before counts, once', async () => {
  await f.dev.press();
  f.clock.advance(14.5);
  assert.is(await tx(f.dev, CALC), OK);
  assert.is(await tx(f.dev, CALC), '6982', 'one press, one code');
});

S('a press 16 s before does not count', async () => {
  await f.dev.press();
  f.clock.advance(16);
  assert.is(await tx(f.dev, CALC), '6982');
});

S('a press while the command waits lets it through', async () => {
  const presser = await boot({ path: f.path, now: f.clock.now });
  const start = f.clock.now();
  let pressed = false;
  const d = await boot({
    path: f.path, now: f.clock.now,
    sleep: async (ms) => {
      f.clock.advance(ms / 1000);
      if (!pressed && f.clock.now() - start >= 7) { pressed = true; await presser.press(); }
    },
  });
  assert.is(await tx(d, CALC), OK);
  const waited = f.clock.now() - start;
  assert.ok(waited >= 7 && waited < 7.5, `answered ${waited} s in, right after the press`);
  await d.close();
  await presser.close();
});

S('a press from another process (token press) opens the window of a waiting device', async () => {
  const script = await writerScript(f.dir);
  const now = () => Date.now() / 1000;
  const d = await boot({ path: f.path, now });
  const waiting = tx(d, CALC);
  await new Promise((r) => setTimeout(r, 300));
  const code = await new Promise<number | null>((res) => spawn(process.execPath, [script, f.path, 'press'], { stdio: 'ignore' }).on('close', res));
  assert.is(code, 0);
  assert.is(await waiting, OK);
  await d.close();
});

S('CALCULATE ALL answers 7C for touch TOTP without waiting; CALCULATE ONCE waits like CALCULATE', async () => {
  const t0 = f.clock.now();
  assert.is(await tx(f.dev, '00 A4 00 01 0A 74 08 0000000000000001'), '7104' + '74636831' + '7C0106' + '9000');
  assert.is(f.clock.now(), t0, 'no wait');
  assert.is(await tx(f.dev, '80 13 00 00 10 71 04 "tch1" 74 08 0000000000000001'), '6982');
  await f.dev.press();
  assert.is(await tx(f.dev, '80 13 00 00 10 71 04 "tch1" 74 08 0000000000000001'), OK);
});

S.run();
