// The access code: K only in RAM, 8 tries persisted across power-ons, a wipe at 0.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac, pbkdf2Sync } from 'node:crypto';
import { boot, FirmwareError } from '../../../device/firmware/index.js';
import { fresh, info, tx, x, SELECT, type Fresh } from './util.js';

const SEED = '"12345678901234567890"';

async function setCode(f: Fresh, code: string): Promise<Buffer> {
  const sel = await tx(f.dev, SELECT);
  const K = pbkdf2Sync(code, Buffer.from(sel.slice(14, 30), 'hex'), 1000, 16, 'sha1');
  const c = Buffer.alloc(8, 3);
  assert.is(await tx(f.dev, `00 03 00 00 33 73 11 21 ${x(K)} 74 08 ${x(c)} ` +
    `75 14 ${x(createHmac('sha1', K).update(c).digest())}`), '9000');
  return K;
}
const bootFails = (f: Fresh, accessCode: string) =>
  boot({ path: f.path, now: f.clock.now, accessCode })
    .then(() => { throw new Error('boot should fail'); }, (e: unknown) => e as FirmwareError);

const S = suite('access code');
let f: Fresh;
S.before.each(async () => {
  f = await fresh();
  await tx(f.dev, `00 01 00 00 1E 71 04 "sha1" 73 16 21 06 ${SEED}`);
});
S.after.each(async () => { await f.done(); });

S('every wrong code at power-on states the tries left; the 8th wipes every credential and says so', async () => {
  await setCode(f, 'right');
  for (let left = 7; left >= 1; left--) {
    const e = await bootFails(f, 'wrong');
    assert.is(e.code, 'E_ACCESS');
    assert.is(e.triesLeft, left);
    assert.match(e.message, `${left} ${left === 1 ? 'try' : 'tries'} left`);
  }
  const e = await bootFails(f, 'wrong');
  assert.is(e.code, 'E_WIPED');
  assert.is(e.triesLeft, 0);
  assert.match(e.message, 'wiped every credential');
  const d = await boot({ path: f.path, now: f.clock.now });
  assert.is(await tx(d, '00 A1 00 00 00'), '9000', 'no credentials, no code');
  assert.equal({ ...(await info(d)), tags: null }, { count: 0, codeSet: false, retries: 8, tags: null });
  assert.is(d.identity.serial, f.dev.identity.serial, 'the serial survives a wipe');
  await d.close();
});

S('the right code refills the tries', async () => {
  await setCode(f, 'right');
  for (let i = 0; i < 5; i++) await bootFails(f, 'wrong');
  const d = await boot({ path: f.path, now: f.clock.now, accessCode: 'right' });
  assert.is((await info(d)).retries, 8);
  await d.close();
  assert.is((await bootFails(f, 'wrong')).triesLeft, 7);
});

S('wrong VALIDATE responses spend the same tries, down to a wipe', async () => {
  const K = await setCode(f, 'right');
  await bootFails(f, 'wrong'); // 7 left
  for (let left = 6; left >= 0; left--) {
    await tx(f.dev, SELECT);
    assert.is(await tx(f.dev, `00 A3 00 00 20 75 14 ${'00'.repeat(20)} 74 08 ${'01'.repeat(8)}`), `63C${left}`);
  }
  assert.is(await tx(f.dev, '00 A1 00 00 00'), '9000', 'wiped: no code, no credentials');
  assert.equal({ ...(await info(f.dev)), tags: null }, { count: 0, codeSet: false, retries: 8, tags: null });
  assert.is(await tx(f.dev, `00 A3 00 00 20 75 14 ${x(createHmac('sha1', K).update(Buffer.alloc(8)).digest())} ` +
    `74 08 ${'01'.repeat(8)}`), '6984', 'no code to validate any more');
});

S('a VALIDATE answer is good for one challenge only', async () => {
  const K = await setCode(f, 'right');
  const sel = await tx(f.dev, SELECT);
  const chal = Buffer.from(/7408([0-9A-F]{16})/.exec(sel)![1]!, 'hex');
  const v = `00 A3 00 00 20 75 14 ${x(createHmac('sha1', K).update(chal).digest())} 74 08 ${'05'.repeat(8)}`;
  assert.is((await tx(f.dev, v)).slice(-4), '9000');
  assert.is(await tx(f.dev, v), '6984', 'replayed: no challenge outstanding, and no try spent');
  assert.is((await info(f.dev)).retries, 8);
});

S('booted without the code: SELECT and RESET answer, nothing computes, the display is locked', async () => {
  await setCode(f, 'right');
  const d = await boot({ path: f.path, now: f.clock.now });
  const sel = await tx(d, SELECT);
  assert.match(sel, /7408[0-9A-F]{16}7B01019000$/);
  assert.is(await tx(d, `00 A3 00 00 20 75 14 ${'00'.repeat(20)} 74 08 ${'01'.repeat(8)}`), '6982',
    'K is not in RAM, so VALIDATE cannot be checked');
  assert.is(await tx(d, '00 A2 00 01 10 71 04 "sha1" 74 08 0000000000000001'), '6982');
  assert.is(await tx(d, `00 01 00 00 1E 71 04 "more" 73 16 21 06 ${SEED}`), '6982');
  const e = await d.panel.display().catch((err: unknown) => err as FirmwareError);
  assert.is((e as FirmwareError).code, 'E_LOCKED');
  assert.is((await info(d)).retries, 8, 'no try spent');
  await d.close();
});

S('booted with the code, the display shows codes and SELECT + VALIDATE open the APDU face', async () => {
  const K = await setCode(f, 'right');
  const d = await boot({ path: f.path, now: f.clock.now, accessCode: 'right' });
  assert.is((await d.panel.display())[0]!.id, 'sha1');
  const chal = Buffer.from(/7408([0-9A-F]{16})/.exec(await tx(d, SELECT))![1]!, 'hex');
  await tx(d, `00 A3 00 00 20 75 14 ${x(createHmac('sha1', K).update(chal).digest())} 74 08 ${'05'.repeat(8)}`);
  assert.is(await tx(d, '00 A2 00 01 10 71 04 "sha1" 74 08 0000000000000001'), '76050641397EEA9000');
  await d.close();
});

S.run();
