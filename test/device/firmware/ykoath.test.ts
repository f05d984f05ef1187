// Whole YKOATH sessions, byte for byte. Expected bytes are written out by hand from the YKOATH
// layouts (SELECT, PUT, CALCULATE, VALIDATE as ykman 4.0.9 sends them) and the RFC 4226 / RFC 6238
// tables, or computed here with node:crypto from the spec; never with the firmware's own encoder.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac, pbkdf2Sync } from 'node:crypto';
import { boot, FirmwareError } from '../../../device/firmware/index.js';
import { fresh, h, tx, x, SELECT, type Fresh } from './util.js';

const SEED1 = '"12345678901234567890"';
const SEED256 = '"12345678901234567890123456789012"';
const SEED512 = '"1234567890123456789012345678901234567890123456789012345678901234"';
const ascii = (s: string) => Buffer.from(s);

/** RFC 4226 §5.3 by hand: the 4 bytes at the offset, top bit cleared. */
function dt(alg: string, key: Buffer, msg: Buffer): string {
  const d = createHmac(alg, key).update(msg).digest();
  const o = d[d.length - 1]! & 15;
  return x(Uint8Array.of(d[o]! & 0x7f, d[o + 1]!, d[o + 2]!, d[o + 3]!));
}
const dec = (hex: string, digits: number) => String(parseInt(hex, 16) % 10 ** digits).padStart(digits, '0');
const step = (t: number) => Buffer.from(BigInt(Math.floor(t / 30)).toString(16).padStart(16, '0'), 'hex');

/** SELECT answer: 79 03 05 07 01, 71 08 salt, [74 08 challenge 7B 01 01], 9000. */
function parseSelect(r: string, locked: boolean): { salt: Buffer; challenge?: Buffer } {
  const m = locked
    ? /^79030507017108([0-9A-F]{16})7408([0-9A-F]{16})7B01019000$/.exec(r)
    : /^79030507017108([0-9A-F]{16})9000$/.exec(r);
  assert.ok(m, `SELECT answer ${r}`);
  return { salt: Buffer.from(m![1]!, 'hex'), ...(locked ? { challenge: Buffer.from(m![2]!, 'hex') } : {}) };
}

const S = suite('YKOATH byte-exact');
let f: Fresh;
S.before.each(async () => { f = await fresh(); });
S.after.each(async () => { await f.done(); });

S('SELECT answers version 5.7.1 and an 8-byte salt, and no challenge without a code', async () => {
  parseSelect(await tx(f.dev, SELECT), false);
  assert.is(await tx(f.dev, '00 A4 04 00 05 A0 00 00 03 08'), '6A82', 'PIV is not here');
  assert.is(await tx(f.dev, '00 A4 04 00 07 A0 00 00 05 27 20 01'), '6A82', 'nor OTP');
});

S('PUT SHA-1/256/512 TOTP and HOTP, LIST, CALCULATE ALL at T=1 (RFC 6238 t=59)', async () => {
  await tx(f.dev, SELECT);
  assert.is(await tx(f.dev, `00 01 00 00 1E 71 04 "sha1" 73 16 21 08 ${SEED1}`), '9000');
  assert.is(await tx(f.dev, `00 01 00 00 2C 71 06 "sha256" 73 22 22 08 ${SEED256}`), '9000');
  assert.is(await tx(f.dev, `00 01 00 00 4C 71 06 "sha512" 73 42 23 08 ${SEED512}`), '9000');
  assert.is(await tx(f.dev, `00 01 00 00 1E 71 04 "hotp" 73 16 11 06 ${SEED1}`), '9000');
  assert.is(await tx(f.dev, '00 A1 00 00 00'),
    x(h('72 05 21 "sha1" 72 07 22 "sha256" 72 07 23 "sha512" 72 05 11 "hotp" 90 00')));
  const d256 = dt('sha256', ascii('12345678901234567890123456789012'), step(59));
  const d512 = dt('sha512', ascii('1234567890123456789012345678901234567890123456789012345678901234'), step(59));
  assert.is(dec(d256, 8), '46119246', 'RFC 6238 Appendix B, SHA-256, t=59');
  assert.is(dec(d512, 8), '90693936', 'RFC 6238 Appendix B, SHA-512, t=59');
  // SHA-1 at T=1 is RFC 4226's counter 1: truncated 41397eea, 94287082 in 8 digits.
  assert.is(await tx(f.dev, '00 A4 00 01 0A 74 08 00 00 00 00 00 00 00 01'), x(h(
    `71 04 "sha1" 76 05 08 41 39 7E EA  71 06 "sha256" 76 05 08 ${d256}  ` +
    `71 06 "sha512" 76 05 08 ${d512}  71 04 "hotp" 77 01 06  90 00`)));
});

S('CALCULATE: RFC 6238 rows by challenge, full HMAC with P2=00', async () => {
  await tx(f.dev, `00 01 00 00 1E 71 04 "sha1" 73 16 21 08 ${SEED1}`);
  for (const [t, code] of [
    [1111111109, '07081804'], [1234567890, '89005924'], [2000000000, '69279037'], [20000000000, '65353130'],
  ] as const) {
    const want = dt('sha1', ascii('12345678901234567890'), step(t));
    assert.is(dec(want, 8), code, `RFC 6238 Appendix B, SHA-1, t=${t}`);
    assert.is(await tx(f.dev, `00 A2 00 01 10 71 04 "sha1" 74 08 ${x(step(t))}`), `76050${8}${want}9000`);
  }
  // P2=00 answers the whole HMAC: RFC 4226 Appendix D's digest for counter 1.
  assert.is(await tx(f.dev, '00 A2 00 00 10 71 04 "sha1" 74 08 0000000000000001'),
    x(h('75 15 08 75a48a19d4cbe100644e8ac1397eea747a2d33ab 90 00')));
});

S('CALCULATE HOTP: empty challenge, the device counter runs through RFC 4226 Appendix D', async () => {
  await tx(f.dev, `00 01 00 00 1E 71 04 "hotp" 73 16 11 06 ${SEED1}`);
  const table = [
    '4c93cf18', '41397eea', '082fef30', '66ef7655', '61c5938a', '33c083d4', '7256c032', '04e5b397', '2823443f',
    '2679dc69',
  ];
  for (const trunc of table) {
    assert.is(await tx(f.dev, '00 A2 00 01 08 71 04 "hotp" 74 00'), `760506${trunc.toUpperCase()}9000`);
  }
});

S('PUT with touch (78 02, no length) and IMF (7A 04) sets the counter; HOTP gets 77 even with touch', async () => {
  // 78 02 is a tag and one property byte: a TLV reader would swallow the 7A that follows.
  assert.is(await tx(f.dev, `00 01 00 00 26 71 04 "ctr5" 73 16 11 08 ${SEED1} 78 02 7A 04 00 00 00 05`), '9000');
  assert.is(await tx(f.dev, `00 01 00 00 20 71 04 "tch1" 73 16 21 06 ${SEED1} 78 02`), '9000');
  assert.is(await tx(f.dev, '00 A4 00 01 0A 74 08 0000000000000001'),
    x(h('71 04 "ctr5" 77 01 08 71 04 "tch1" 7C 01 06 90 00')));
  await f.dev.panel.press();
  // RFC 4226 counter 5: 33c083d4 → 868254676 → 8 digits 68254676.
  assert.is(await tx(f.dev, '00 A2 00 01 08 71 04 "ctr5" 74 00'), '76050833C083D49000');
});

S('DELETE, RENAME (keeping the period prefix), and their refusals', async () => {
  await tx(f.dev, `00 01 00 00 25 71 0B "60/Slow:bob" 73 16 21 06 ${SEED1}`);
  assert.is(await tx(f.dev, '00 05 00 00 1E 71 0B "60/Slow:bob" 71 0F "60/NewIss:bobby"'), '9000');
  assert.is(await tx(f.dev, '00 A1 00 00 00'), x(h('72 10 21 "60/NewIss:bobby" 90 00')));
  assert.is(await tx(f.dev, '00 05 00 00 1A 71 0F "60/NewIss:bobby" 71 07 "NewIss:"'), '6A80',
    'a rename may not change the period');
  assert.is(await tx(f.dev, '00 02 00 00 05 71 03 "bob"'), '6984');
  assert.is(await tx(f.dev, '00 02 00 00 11 71 0F "60/NewIss:bobby"'), '9000');
  assert.is(await tx(f.dev, '00 A1 00 00 00'), '9000');
});

S('malformed commands get their status words', async () => {
  assert.is(await tx(f.dev, `00 01 00 00 1E 71 04 "sha9" 73 16 21 09 ${SEED1}`), '6A80', '9 digits');
  assert.is(await tx(f.dev, `00 01 00 00 1E 71 04 "sha5" 73 16 21 05 ${SEED1}`), '6A80', '5 digits');
  assert.is(await tx(f.dev, `00 01 00 00 1E 71 04 "bad4" 73 16 24 06 ${SEED1}`), '6A80', 'algorithm 4');
  assert.is(await tx(f.dev, `00 01 00 00 1E 71 04 "bad3" 73 16 31 06 ${SEED1}`), '6A80', 'type 3');
  assert.is(await tx(f.dev, '00 01 00 00 05 71 03 "abc"'), '6A80', 'no key');
  assert.is(await tx(f.dev, `00 01 00 00 1F 71 04 "sha1" 73 16 21 06 ${SEED1}`), '6700', 'Lc longer than the data');
  assert.is(await tx(f.dev, '00 A2 00 01 08 71 04 "none" 74 00'), '6984');
  assert.is(await tx(f.dev, '00 EE 00 00 00'), '6D00');
  assert.is(await tx(f.dev, 'A0 A4 04 00 00'), '6E00');
  assert.is(await tx(f.dev, '00 A4'), '6700');
  assert.is(await tx(f.dev, '00 04 00 00 00'), '6B00', 'RESET wants P1P2 = DE AD');
});

S('the 65th credential is refused with 6A84', async () => {
  for (let i = 0; i < 64; i++) {
    const id = `c${String(i).padStart(2, '0')}`;
    assert.is(await tx(f.dev, `00 01 00 00 1D 71 03 "${id}" 73 16 21 06 ${SEED1}`), '9000');
  }
  assert.is(await tx(f.dev, `00 01 00 00 1D 71 03 "c64" 73 16 21 06 ${SEED1}`), '6A84');
  // 64 × 6 bytes of LIST are 384: 255 with 61 81 (129 more), then the rest with 9000.
  const first = await tx(f.dev, '00 A1 00 00 00');
  assert.is(first.slice(-4), '6181');
  assert.is(first.length, (255 + 2) * 2);
  const second = await tx(f.dev, '00 A5 00 00 00');
  assert.is(second.slice(-4), '9000');
  assert.is(await tx(f.dev, '00 A5 00 00 00'), '6985', 'nothing left to send');
  const all = first.slice(0, -4) + second.slice(0, -4);
  assert.is(all, x(h(Array.from({ length: 64 }, (_, i) => `72 04 21 "c${String(i).padStart(2, '0')}"`).join(' '))));
  assert.is(all.length / 2, 64 * 6);
});

S('SET CODE, VALIDATE right and wrong, then RESET', async () => {
  await tx(f.dev, `00 01 00 00 1E 71 04 "sha1" 73 16 21 08 ${SEED1}`);
  const { salt } = parseSelect(await tx(f.dev, SELECT), false);
  // The key ykman derives: PBKDF2-HMAC-SHA1(password, salt, 1000, 16).
  const K = pbkdf2Sync('hunter2', salt, 1000, 16, 'sha1');
  const chal = Buffer.from('0102030405060708', 'hex');
  const resp = createHmac('sha1', K).update(chal).digest();
  assert.is(await tx(f.dev, `00 03 00 00 33 73 11 21 ${x(K)} 74 08 ${x(chal)} 75 14 ${x(Buffer.alloc(20))}`), '6984',
    'a wrong proof of K');
  assert.is(await tx(f.dev, `00 03 00 00 33 73 11 21 ${x(K)} 74 08 ${x(chal)} 75 14 ${x(resp)}`), '9000');

  const s1 = parseSelect(await tx(f.dev, SELECT), true);
  assert.is(await tx(f.dev, '00 A1 00 00 00'), '6982', 'locked until VALIDATE');
  const host = Buffer.from('a1a2a3a4a5a6a7a8', 'hex');
  const wrong = createHmac('sha1', pbkdf2Sync('wrong', salt, 1000, 16, 'sha1')).update(s1.challenge!).digest();
  // ISO 7816-4 63Cx: verification failed, 7 tries left (ykman fails on any non-9000).
  assert.is(await tx(f.dev, `00 A3 00 00 20 75 14 ${x(wrong)} 74 08 ${x(host)}`), '63C7');

  const s2 = parseSelect(await tx(f.dev, SELECT), true);
  assert.not.equal(x(s2.challenge!), x(s1.challenge!), 'each SELECT brings a fresh challenge');
  const right = createHmac('sha1', K).update(s2.challenge!).digest();
  assert.is(await tx(f.dev, `00 A3 00 00 20 75 14 ${x(right)} 74 08 ${x(host)}`),
    x(h(`75 14 ${x(createHmac('sha1', K).update(host).digest())} 90 00`)));
  assert.is(await tx(f.dev, '00 A1 00 00 00'), x(h('72 05 21 "sha1" 90 00')));
  assert.is(await tx(f.dev, '80 10 00 00 00').then((r) => r.slice(-10)), '8901089000',
    'the right key refilled the tries');

  // Another power-on without the code: SELECT and VALIDATE answer, nothing computes.
  const other = await boot({ path: f.path, now: f.clock.now });
  parseSelect(await tx(other, SELECT), true);
  assert.is(await tx(other, '00 A4 00 01 0A 74 08 0000000000000001'), '6982');
  await other.close();
  const wrongBoot = await boot({ path: f.path, now: f.clock.now, accessCode: 'nope' })
    .then(() => null, (e: unknown) => e);
  assert.instance(wrongBoot, FirmwareError);
  assert.is((wrongBoot as FirmwareError).code, 'E_ACCESS');
  assert.is((wrongBoot as FirmwareError).triesLeft, 7);

  assert.is(await tx(f.dev, '00 04 DE AD 00'), '9000', 'RESET needs no code');
  const after = parseSelect(await tx(f.dev, SELECT), false);
  assert.not.equal(x(after.salt), x(salt), 'RESET gives a new device id');
  assert.is(await tx(f.dev, '00 A1 00 00 00'), '9000');
});

S('SET CODE 73 00 clears the code', async () => {
  const { salt } = parseSelect(await tx(f.dev, SELECT), false);
  const K = pbkdf2Sync('pw', salt, 1000, 16, 'sha1');
  const chal = Buffer.from('1111111111111111', 'hex');
  await tx(f.dev, `00 03 00 00 33 73 11 21 ${x(K)} 74 08 ${x(chal)} ` +
    `75 14 ${x(createHmac('sha1', K).update(chal).digest())}`);
  const s = parseSelect(await tx(f.dev, SELECT), true);
  await tx(f.dev, `00 A3 00 00 20 75 14 ${x(createHmac('sha1', K).update(s.challenge!).digest())} 74 08 ${x(chal)}`);
  assert.is(await tx(f.dev, '00 03 00 00 02 73 00'), '9000');
  parseSelect(await tx(f.dev, SELECT), false);
});

S('chained PUT (CLA 10) and extended-length APDUs carry the same command', async () => {
  const data = h(`71 04 "long" 73 16 21 06 ${SEED1}`);
  assert.is(await tx(f.dev, Uint8Array.from([0x10, 0x01, 0, 0, 10, ...data.subarray(0, 10)])), '9000');
  assert.is(await tx(f.dev, Uint8Array.from([0x00, 0x01, 0, 0, data.length - 10, ...data.subarray(10)])), '9000');
  assert.is(await tx(f.dev, Uint8Array.from([0x00, 0xa2, 0, 1, 0, 0, 16, ...h('71 04 "long" 74 08 0000000000000001')])),
    x(h('76 05 06 41 39 7E EA 90 00')));
});

S.run();
