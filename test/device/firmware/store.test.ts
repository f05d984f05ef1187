// The store file: versioned and checksummed, 0600, refused when corrupt or too open, never repaired.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { boot, manufacture, FirmwareError } from '../../../device/firmware/index.js';
import { tempDir } from '../../helpers.js';
import { fresh, tx, type Fresh } from './util.js';

const SEED = '"12345678901234567890"';
const failure = (p: Promise<unknown>) =>
  p.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as FirmwareError);

const S = suite('store');
let f: Fresh;
S.before.each(async () => {
  f = await fresh();
  assert.is(await tx(f.dev, `00 01 00 00 1E 71 04 "keep" 73 16 21 06 ${SEED}`), '9000');
});
S.after.each(async () => { await f.done(); });

S('a new store is mode 0600, versioned, and holds no seed in the clear once a code is set', async () => {
  assert.is(statSync(f.path).mode & 0o777, 0o600);
  const text = readFileSync(f.path, 'latin1');
  assert.match(text, /^totp-fob store 1\nsha256 [0-9a-f]{64}\n\{/);
  assert.not.ok(readdirSync(f.dir).some((n) => n.includes('.tmp-')), 'no temp file left behind');
  assert.not.ok(readdirSync(f.dir).some((n) => n.endsWith('.lock')), 'no lock left behind');
});

S('manufacture refuses to overwrite a device', async () => {
  const e = await failure(manufacture(f.path, { now: () => 1 }));
  assert.is(e.code, 'E_EXISTS');
});

S('a missing store is E_NO_DEVICE', async () => {
  const e = await failure(boot({ path: join(f.dir, 'nope.dev'), now: () => 1 }));
  assert.is(e.code, 'E_NO_DEVICE');
  assert.match(e.message, 'token init');
});

for (const [name, damage] of [
  ['truncated by one byte', (b: Buffer) => b.subarray(0, b.length - 1)],
  ['truncated to half', (b: Buffer) => b.subarray(0, b.length >> 1)],
  ['truncated inside the header', (b: Buffer) => b.subarray(0, 20)],
  ['emptied', () => Buffer.alloc(0)],
  ['bit-flipped in the body', (b: Buffer) => { const c = Buffer.from(b); c[c.length - 10]! ^= 0x01; return c; }],
  ['bit-flipped in the checksum', (b: Buffer) => { const c = Buffer.from(b); c[30]! ^= 0x04; return c; }],
  ['bit-flipped in the format number', (b: Buffer) => { const c = Buffer.from(b); c[15]! ^= 0x02; return c; }],
] as const) {
  S(`a store ${name} fails with "device store is corrupt (checksum mismatch)" and is left untouched`, async () => {
    const bad = damage(readFileSync(f.path));
    writeFileSync(f.path, bad, { mode: 0o600 });
    const before = statSync(f.path);
    const e = await failure(boot({ path: f.path, now: () => 1 }));
    assert.is(e.code, 'E_STORE_CORRUPT');
    assert.match(e.message, 'device store is corrupt (checksum mismatch)');
    // The booted device meets the damage too: it answers 6F00 and writes nothing.
    assert.is(await tx(f.dev, `00 01 00 00 1E 71 04 "more" 73 16 21 06 ${SEED}`), '6F00');
    assert.is(await tx(f.dev, '00 A1 00 00 00'), '6F00');
    const after = statSync(f.path);
    assert.ok(readFileSync(f.path).equals(bad), 'same bytes');
    assert.is(after.mtimeMs, before.mtimeMs);
    assert.is(after.ino, before.ino);
  });
}

S('a store open to group or others is refused with the chmod that fixes it', async () => {
  for (const mode of [0o640, 0o604, 0o660, 0o602]) {
    chmodSync(f.path, mode);
    const e = await failure(boot({ path: f.path, now: () => 1 }));
    assert.is(e.code, 'E_STORE_PERMS');
    assert.match(e.message, `chmod 600 ${f.path}`);
    assert.is(statSync(f.path).mode & 0o777, mode, 'left as it was');
  }
  chmodSync(f.path, 0o600);
  await (await boot({ path: f.path, now: () => 1 })).close();
});

S('a store made under a loose umask is still 0600', async () => {
  const t = tempDir('fw-umask-');
  const old = process.umask(0o000);
  try {
    await manufacture(join(t.dir, 'sub', 'd.dev'), { now: () => 1 });
    assert.is(statSync(join(t.dir, 'sub', 'd.dev')).mode & 0o777, 0o600);
    assert.is(statSync(join(t.dir, 'sub')).mode & 0o777, 0o700);
  } finally { process.umask(old); t.done(); }
});

S('seeds are written only sealed once an access code is set, and never come back out', async () => {
  const raw = Buffer.from('12345678901234567890');
  assert.ok(readFileSync(f.path).includes(raw.toString('base64').slice(0, 20)),
    'plain (base64) without a code, like a YubiKey without a password');
  const { createHmac, pbkdf2Sync } = await import('node:crypto');
  const sel = await tx(f.dev, '00 A4 04 00 07 A0 00 00 05 27 21 01');
  const salt = Buffer.from(sel.slice(14, 30), 'hex');
  const K = pbkdf2Sync('code', salt, 1000, 16, 'sha1');
  const c = Buffer.alloc(8, 7);
  assert.is(await tx(f.dev, `00 03 00 00 33 73 11 21 ${K.toString('hex')} 74 08 ${c.toString('hex')} ` +
    `75 14 ${createHmac('sha1', K).update(c).digest('hex')}`), '9000');
  const text = readFileSync(f.path);
  for (const enc of ['hex', 'base64', 'latin1'] as const) {
    assert.not.ok(text.includes(raw.toString(enc)), `no ${enc} seed`);
  }
  const d = await boot({ path: f.path, now: () => 1, accessCode: 'code' });
  const frames = await d.panel.display();
  assert.is(frames.length, 1);
  assert.ok(JSON.stringify(frames).indexOf(raw.toString('hex')) < 0);
  await d.close();
});

S.run();
