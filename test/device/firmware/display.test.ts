// The physical face: a press wakes the LCD, which shows codes at the device's own RTC.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fresh, tx, type Fresh } from './util.js';

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
  const [sha1, touchy, hotp] = await f.dev.display();
  // RFC 6238 Appendix B, SHA-1 t=59: 94287082; next step (counter 2): 082fef30 → 37359152.
  assert.equal(sha1, { id: 'sha1', type: 'totp', code: '94287082', next: '37359152', step: 1, remaining: 1, period: 30, digits: 8, algorithm: 'SHA1', hotp: false });
  assert.is(touchy!.code, '287082', 'the press that wakes the display is the touch');
  assert.equal({ code: hotp!.code, step: hotp!.step, hotp: hotp!.hotp, type: hotp!.type }, { code: null, step: 0, hotp: true, type: 'hotp' });
});

S('the display follows the drifting RTC, not the host clock', async () => {
  f.clock.advance(0.5);
  assert.is((await f.dev.display('sha1'))[0]!.remaining, 1);
  f.clock.advance(1);
  const [s] = await f.dev.display('sha1');
  assert.equal([s!.step, s!.code, s!.remaining], [2, '37359152', 30]);
});

S('an HOTP code shows only when the query names that one credential, and the counter advances', async () => {
  assert.equal((await f.dev.display('hotp')).map((x) => [x.code, x.step]), [['755224', 0]]);
  assert.equal((await f.dev.display('hotp')).map((x) => [x.code, x.step]), [['287082', 1]]);
  // 'o' matches Touchy:carol and hotp: two matches, so no HOTP code and no counter step.
  assert.equal((await f.dev.display('o')).map((x) => [x.id, x.code]), [['Touchy:carol', '287082'], ['hotp', null]]);
  assert.is(await tx(f.dev, '00 A2 00 01 08 71 04 "hotp" 74 00'), '760506' + '082FEF30' + '9000', 'the APDU face continues at counter 2');
});

S('queries: exact id wins, else case-insensitive substring; no match is empty', async () => {
  assert.equal((await f.dev.display('TOUCHY')).map((x) => x.id), ['Touchy:carol']);
  assert.equal((await f.dev.display('h')).map((x) => x.id).sort(), ['Touchy:carol', 'hotp', 'sha1']);
  assert.equal(await f.dev.display('nothing'), []);
});

S('the display never writes a high-water step', async () => {
  const [s] = await f.dev.display('sha1');
  assert.is(await tx(f.dev, `80 13 00 00 10 71 04 "sha1" 74 08 00 00 00 00 00 00 00 0${s!.step}`), '76050841397EEA9000');
});

S.run();
