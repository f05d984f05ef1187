// The panel, the face for the person. The button: touch credentials compute over the APDU face
// only after a press, in the 15 s before the command or while it waits up to 15 s, as a YubiKey
// blinks and waits; otherwise 6982. The LCD: a press wakes it, and it shows codes at the device's
// own RTC.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { boot } from '../../../device/firmware/index.js';
import { fresh, tx, writerScript, type Fresh } from './util.js';

const SEED = '"12345678901234567890"';
const S = suite('display');
let f: Fresh;
S.before.each(async () => {
  f = await fresh({ driftPpm: 0 });
  await tx(f.dev, `00 01 00 00 1E 71 04 "sha1" 73 16 21 08 ${SEED}`);
  await tx(f.dev, `00 01 00 00 28 71 0C "Touchy:carol" 73 16 21 06 ${SEED} 78 02`);
  await tx(f.dev, `00 01 00 00 1E 71 04 "hotp" 73 16 11 06 ${SEED}`);
  // The RTC at t=59 s (RFC 6238's first row): SET TIME backwards needs the force flag.
  assert.is(await tx(f.dev, '80 11 01 00 08 00 00 00 00 00 00 E6 78'), '9000');
});
S.after.each(async () => { await f.done(); });

S('TOTP frames show the code at the device clock, the next one, and the seconds left', async () => {
  const [sha1, touchy, hotp] = await f.dev.panel.display();
  // RFC 6238 Appendix B, SHA-1 t=59: 94287082; next step (counter 2): 082fef30 → 37359152.
  assert.equal(sha1, {
    id: 'sha1', type: 'totp', code: '94287082', next: '37359152', step: 1, remaining: 1, period: 30, digits: 8,
    algorithm: 'SHA1', hotp: false,
  });
  assert.is(touchy!.code, '287082', 'the press that wakes the display is the touch');
  assert.equal({ code: hotp!.code, step: hotp!.step, hotp: hotp!.hotp, type: hotp!.type },
    { code: null, step: 0, hotp: true, type: 'hotp' });
});

S('the display follows the drifting RTC, not the host clock', async () => {
  f.clock.advance(0.5);
  assert.is((await f.dev.panel.display('sha1'))[0]!.remaining, 1);
  f.clock.advance(1);
  const [s] = await f.dev.panel.display('sha1');
  assert.equal([s!.step, s!.code, s!.remaining], [2, '37359152', 30]);
});

S('an HOTP code shows only when the query names that one credential, and the counter advances', async () => {
  assert.equal((await f.dev.panel.display('hotp')).map((x) => [x.code, x.step]), [['755224', 0]]);
  assert.equal((await f.dev.panel.display('hotp')).map((x) => [x.code, x.step]), [['287082', 1]]);
  // 'o' matches Touchy:carol and hotp: two matches, so no HOTP code and no counter step.
  assert.equal((await f.dev.panel.display('o')).map((x) => [x.id, x.code]),
    [['Touchy:carol', '287082'], ['hotp', null]]);
  assert.is(await tx(f.dev, '00 A2 00 01 08 71 04 "hotp" 74 00'), '760506' + '082FEF30' + '9000',
    'the APDU face continues at counter 2');
});

S('queries: exact id wins, else case-insensitive substring; no match is empty', async () => {
  assert.equal((await f.dev.panel.display('TOUCHY')).map((x) => x.id), ['Touchy:carol']);
  assert.equal((await f.dev.panel.display('h')).map((x) => x.id).sort(), ['Touchy:carol', 'hotp', 'sha1']);
  assert.equal(await f.dev.panel.display('nothing'), []);
});

S('the display never writes a high-water step', async () => {
  const [s] = await f.dev.panel.display('sha1');
  assert.is(await tx(f.dev, `80 13 00 00 10 71 04 "sha1" 74 08 00 00 00 00 00 00 00 0${s!.step}`),
    '76050841397EEA9000');
});

S.run();

// --- the button ----------------------------------------------------------------------

const CALC = '00 A2 00 01 10 71 04 "tch1" 74 08 0000000000000001';
const OK = '76050641397EEA9000';

const T = suite('touch');
T.before.each(async () => {
  f = await fresh();
  assert.is(await tx(f.dev, `00 01 00 00 20 71 04 "tch1" 73 16 21 06 ${SEED} 78 02`), '9000');
});
T.after.each(async () => { await f.done(); });

T('no press: the command waits 15 s, then answers 6982', async () => {
  const t0 = f.clock.now();
  assert.is(await tx(f.dev, CALC), '6982');
  const waited = f.clock.now() - t0;
  assert.ok(waited > 14.99 && waited < 15.5, `waited ${waited} s`);
});

T('a fixed host clock with a timer that does not move it still gives up after 15 s of waiting', async () => {
  let slept = 0;
  const d = await boot({ path: f.path, now: f.clock.now, sleep: async (ms) => { slept += ms; } });
  assert.is(await tx(d, CALC), '6982');
  assert.is(slept, 15_000);
  await d.close();
});

T('a press up to 15 s before counts, once', async () => {
  await f.dev.panel.press();
  f.clock.advance(14.5);
  assert.is(await tx(f.dev, CALC), OK);
  assert.is(await tx(f.dev, CALC), '6982', 'one press, one code');
});

T('a press 16 s before does not count', async () => {
  await f.dev.panel.press();
  f.clock.advance(16);
  assert.is(await tx(f.dev, CALC), '6982');
});

T('a press while the command waits lets it through', async () => {
  const presser = await boot({ path: f.path, now: f.clock.now });
  const start = f.clock.now();
  let pressed = false;
  const d = await boot({
    path: f.path, now: f.clock.now,
    sleep: async (ms) => {
      f.clock.advance(ms / 1000);
      if (!pressed && f.clock.now() - start >= 7) { pressed = true; await presser.panel.press(); }
    },
  });
  assert.is(await tx(d, CALC), OK);
  const waited = f.clock.now() - start;
  assert.ok(waited >= 7 && waited < 7.5, `answered ${waited} s in, right after the press`);
  await d.close();
  await presser.close();
});

T('a press from another process (token press) opens the window of a waiting device', async () => {
  const script = await writerScript(f.dir);
  const now = () => Date.now() / 1000;
  const d = await boot({ path: f.path, now });
  const waiting = tx(d, CALC);
  await new Promise((r) => setTimeout(r, 300));
  const code = await new Promise<number | null>((res) =>
    spawn(process.execPath, [script, f.path, 'press'], { stdio: 'ignore' }).on('close', res));
  assert.is(code, 0);
  assert.is(await waiting, OK);
  await d.close();
});

T('CALCULATE ALL answers 7C for touch TOTP without waiting; CALCULATE ONCE waits like CALCULATE', async () => {
  const t0 = f.clock.now();
  assert.is(await tx(f.dev, '00 A4 00 01 0A 74 08 0000000000000001'), '7104' + '74636831' + '7C0106' + '9000');
  assert.is(f.clock.now(), t0, 'no wait');
  assert.is(await tx(f.dev, '80 13 00 00 10 71 04 "tch1" 74 08 0000000000000001'), '6982');
  await f.dev.panel.press();
  assert.is(await tx(f.dev, '80 13 00 00 10 71 04 "tch1" 74 08 0000000000000001'), OK);
});

T.run();
