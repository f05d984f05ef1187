// The Management applet, byte for byte as ykman 4.0.9 reads it before any application.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { boot } from '../../../device/firmware/index.js';
import { yubikeySerial } from '../../../device/firmware/management.js';
import { fresh, tx, x, SELECT, type Fresh } from './util.js';

const SELECT_MGMT = '00 A4 04 00 08 A0 00 00 05 27 47 11 17';
const READ_CONFIG = '00 1D 00 00 00';
const SELECT_PIV = '00 A4 04 00 05 A0 00 00 03 08';

/** yubikit's DeviceInfo.parse, in short: one length byte, then one-byte-tag TLVs, each tag once. */
function parseInfo(hex: string): Map<number, string> {
  assert.ok(hex.endsWith('9000'), hex);
  const b = Buffer.from(hex.slice(0, -4), 'hex');
  assert.is(b[0], b.length - 1, 'the length byte counts the rest');
  const m = new Map<number, string>();
  for (let i = 1; i < b.length;) {
    const tag = b[i]!, len = b[i + 1]!;
    assert.ok(len < 0x80 && i + 2 + len <= b.length, `TLV at ${i}`);
    assert.not.ok(m.has(tag), `tag ${tag} once`);
    m.set(tag, x(b.subarray(i + 2, i + 2 + len)));
    i += 2 + len;
  }
  return m;
}

const S = suite('Management applet byte-exact');
let f: Fresh;
S.before.each(async () => { f = await fresh({ serial: 'FOB18158249' }); });
S.after.each(async () => { await f.done(); });

S('SELECT Management answers the firmware version as ASCII "5.7.1"', async () => {
  assert.is(await tx(f.dev, SELECT_MGMT), `${Buffer.from('5.7.1').toString('hex').toUpperCase()}9000`);
});

S('READ CONFIG: USB OATH supported and enabled, serial 18158249, form factor unknown, 5.7.1, unlocked', async () => {
  await tx(f.dev, SELECT_MGMT);
  const r = await tx(f.dev, READ_CONFIG);
  assert.is(r,
    '1C' + '01020020' + '0204011512A9' + '03020020' + '040100' + '0503050701' + '080100' + '0A0100' + '9000');
  const m = parseInfo(r);
  assert.is(m.get(0x01), '0020', 'USB supported: OATH (0x20) only');
  assert.is(m.get(0x03), '0020', 'USB enabled: OATH only');
  assert.is(parseInt(m.get(0x02)!, 16), 18158249);
  assert.is(m.get(0x05), '050701');
  assert.not.ok(m.has(0x0d) || m.has(0x0e), 'no NFC: the card speaks only over its (virtual) USB reader');
});

S('the YubiKey serial: FOB and digits is the number; any other serial hashes to 2^31 and up', () => {
  assert.is(yubikeySerial('FOB18158249'), 18158249);
  assert.is(yubikeySerial('FOB1'), 1);
  assert.is(yubikeySerial('FOB999999999'), 999_999_999);
  const d = createHash('sha256').update('lab-7').digest();
  assert.is(yubikeySerial('lab-7'), (d.readUInt32BE(0) | 0x80000000) >>> 0, 'SHA-256, first 4 bytes, top bit set');
  for (const s of ['lab-7', 'FOB0123', 'FOB1234567890', 'fob123', 'FOB12a', '0']) {
    const n = yubikeySerial(s);
    assert.ok(n >= 0x80000000 && n <= 0xffffffff, `${s} -> ${n}`);
    assert.is(yubikeySerial(s), n, 'deterministic');
  }
  assert.is.not(yubikeySerial('FOB0123'), yubikeySerial('FOB123'), 'a leading zero is another serial');
});

S('a hashed serial reaches READ CONFIG as its 4 bytes', async () => {
  const g = await fresh({ serial: 'lab-7' });
  try {
    await tx(g.dev, SELECT_MGMT);
    assert.is(parseInt(parseInfo(await tx(g.dev, READ_CONFIG)).get(0x02)!, 16), yubikeySerial('lab-7'));
  } finally { await g.done(); }
});

S('Management has READ CONFIG page 0 only: other pages 6B00, WRITE CONFIG and YKOATH commands 6D00', async () => {
  await tx(f.dev, SELECT_MGMT);
  assert.is(await tx(f.dev, '00 1D 01 00 00'), '6B00', 'page 1: this info never sets more-data');
  assert.is(await tx(f.dev, '00 1C 00 00 04 03 03 02 00'), '6D00', 'the configuration is fixed');
  assert.is(await tx(f.dev, '00 16 11 00 00'), '6D00', 'SET MODE');
  assert.is(await tx(f.dev, '00 A1 00 00 00'), '6D00', 'LIST belongs to YKOATH');
  assert.is(await tx(f.dev, '00 A4 00 01 0A 74 08 00 00 00 00 00 00 00 01'), '6D00',
    'A4 P1=00 is CALCULATE ALL, not here');
});

S('SELECT switches applets; a failed SELECT (6A82) keeps the one selected', async () => {
  assert.is(await tx(f.dev, READ_CONFIG), '6D00', 'YKOATH from power-on has no READ CONFIG');
  assert.is(await tx(f.dev, '00 A1 00 00 00'), '9000', 'and LIST works without a SELECT');
  await tx(f.dev, SELECT_MGMT);
  assert.is(await tx(f.dev, SELECT_PIV), '6A82');
  assert.match(await tx(f.dev, READ_CONFIG), /9000$/, 'still Management');
  assert.match(await tx(f.dev, SELECT), /^79030507017108[0-9A-F]{16}9000$/);
  assert.is(await tx(f.dev, READ_CONFIG), '6D00', 'YKOATH again');
  assert.is(await tx(f.dev, '00 A1 00 00 00'), '9000');
});

S('Management needs no access code: the info reads on a locked device powered on without it', async () => {
  const sel = await tx(f.dev, SELECT);
  const K = pbkdf2Sync('right', Buffer.from(sel.slice(14, 30), 'hex'), 1000, 16, 'sha1');
  const c = Buffer.alloc(8, 3);
  assert.is(await tx(f.dev, `00 03 00 00 33 73 11 21 ${x(K)} 74 08 ${x(c)} ` +
    `75 14 ${x(createHmac('sha1', K).update(c).digest())}`), '9000');
  const locked = await boot({ path: f.path, now: f.clock.now });
  try {
    assert.is(await tx(locked, '00 A1 00 00 00'), '6982', 'YKOATH is locked');
    await tx(locked, SELECT_MGMT);
    assert.is(parseInt(parseInfo(await tx(locked, READ_CONFIG)).get(0x02)!, 16), 18158249);
  } finally { await locked.close(); }
});

S.run();
