// The host's APDU encoder and decoder against the bytes ykman 4.0.9 put on the wire
// (captured from its conversation with a YubiKey), not against our own firmware.
import { createHmac, createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { normalizeKey, parseId } from '../../../device/firmware/ykoath.js';
import * as oath from '../../../device/host/oath-client.js';
import { parseTlvs, tlv } from '../../../device/host/oath-client.js';
import { formatId, matches, matchOne } from '../../../device/host/enrollment.js';
import { traceCommand, traceAnswer } from '../../../device/host/channel.js';
import { h, x } from './util.js';

test('SELECT is 00 A4 04 00 07 A0 00 00 05 27 21 01', () => {
  assert.is(x(oath.select()), '00A4040007A0000005272101');
});

test('SELECT answer of a real 5.2.4 key: version and salt, no challenge when unlocked', () => {
  const s = oath.parseSelect(h('79 03 05 02 04 71 08 4B B7 A7 FA D7 AF 40 1B'));
  assert.is(s.version, '5.2.4');
  assert.is(x(s.salt), '4BB7A7FAD7AF401B');
  assert.is(s.challenge, undefined);
  assert.ok(oath.parseSelect(h('79 03 05 07 01 71 08 0102030405060708 74 08 1122334455667788 7B 01 01')).challenge);
});

test('PUT of TOTP SHA-1 "Example:alice" matches ykman byte for byte (key padded to 14 bytes)', () => {
  const a = oath.put({
    id: 'Example:alice', type: 'totp', algorithm: 'SHA1', digits: 6, secret: h('48656C6C6F21DEADBEEF'),
  });
  assert.is(x(a), x(h('00 01 00 00 21 71 0D "Example:alice" 73 10 21 06 48656C6C6F21DEADBEEF00000000')));
});

test('PUT with touch ends 78 02 (a tag and one byte, no length)', () => {
  const a = oath.put({
    id: 'Example:alice', type: 'totp', algorithm: 'SHA1', digits: 6, secret: h('48656C6C6F21DEADBEEF'), touch: true,
  });
  assert.ok(x(a).endsWith('00000000' + '7802'));
  assert.is(a[4], 0x23);
});

test('PUT of HOTP, 8 digits, counter 5 carries 73 10 11 08 … 7A 04 00000005', () => {
  const a = x(oath.put({
    id: 'dave', type: 'hotp', algorithm: 'SHA1', digits: 8, secret: h('48656C6C6F21DEADBEEF'), counter: 5,
  }));
  assert.ok(a.includes('73101108'));
  assert.ok(a.endsWith('7A0400000005'));
  assert.not.ok(x(oath.put({ id: 'd', type: 'hotp', algorithm: 'SHA1', digits: 6, secret: h('0102'), counter: 0 }))
    .includes('7A04'), 'no 7A for counter 0');
});

test('PUT type/algorithm byte: SHA256 TOTP 22, SHA512 HOTP 13', () => {
  const k = h('0102030405060708090A0B0C0D0E0F10');
  assert.ok(x(oath.put({ id: 'a', type: 'totp', algorithm: 'SHA256', digits: 6, secret: k })).includes('731222'));
  assert.ok(x(oath.put({ id: 'a', type: 'hotp', algorithm: 'SHA512', digits: 7, secret: k })).includes('731213'));
});

test('RFC 2104: a key longer than the block is hashed first, and HMAC is unchanged', () => {
  const long = new Uint8Array(100).map((_, i) => i);
  const short = normalizeKey(long, 'SHA1');
  assert.is(x(short), createHash('sha1').update(long).digest('hex').toUpperCase());
  const msg = h('0000000000000001');
  assert.is(createHmac('sha1', short).update(msg).digest('hex'), createHmac('sha1', long).update(msg).digest('hex'));
  assert.is(normalizeKey(long, 'SHA512').length, 100, 'SHA-512 blocks are 128 bytes');
});

test('LIST, RESET, SET CODE clear and SEND REMAINING have ykman\'s exact bytes', () => {
  assert.is(x(oath.list()), '00A1000000');
  assert.is(x(oath.reset()), '0004DEAD00');
  assert.is(x(oath.clearCode()), '00030000027300');
  assert.is(x(oath.sendRemaining()), '00A5000000');
});

test('LIST answer: type/algorithm byte first, then the id', () => {
  const l = oath.parseList(h('72 0C 21 "60/Slow:bob" 72 05 11 "dave" 72 04 23 "big"'));
  assert.equal(l, [
    { id: '60/Slow:bob', type: 'totp', algorithm: 'SHA1' },
    { id: 'dave', type: 'hotp', algorithm: 'SHA1' },
    { id: 'big', type: 'totp', algorithm: 'SHA512' },
  ]);
  assert.throws(() => oath.parseList(h('72 02 31 61')), /malformed/);
});

test('CALCULATE of HOTP sends an empty challenge; 76 05 08 37F47A01 is 38768897', () => {
  assert.is(x(oath.calculate('dave', null)), x(h('00 A2 00 01 08 71 04 "dave" 74 00')));
  assert.is(oath.parseCode(h('76 05 08 37F47A01')), '38768897');
});

test('CALCULATE of TOTP sends pack(">q", t // period)', () => {
  assert.is(x(oath.calculate('60/Slow:bob', 0)), x(h('00 A2 00 01 17 71 0B "60/Slow:bob" 74 08 0000000000000000')));
  assert.ok(x(oath.calculate('a', 666666666)).endsWith('7408' + '0000000027BC86AA'));
});

test('CALCULATE ALL answer: 76 code, 7C touch, 77 HOTP', () => {
  assert.is(x(oath.calculateAll(0)), '00A400010A74080000000000000000');
  const r = oath.parseCalculateAll(
    h('71 0B "60/Slow:bob" 76 05 06 F15A84D9 71 0C "Touchy:carol" 7C 01 06 71 04 "dave" 77 01 08'));
  assert.equal(r, [
    { id: '60/Slow:bob', digits: 6, kind: 'code', code: String((0xf15a84d9 & 0x7fffffff) % 1e6).padStart(6, '0') },
    { id: 'Touchy:carol', digits: 6, kind: 'touch' },
    { id: 'dave', digits: 8, kind: 'hotp' },
  ]);
});

test('RENAME keeps the period prefix the caller gives', () => {
  assert.is(x(oath.rename('60/Slow:bob', '60/NewIss:bobby')),
    x(h('00 05 00 00 1E 71 0B "60/Slow:bob" 71 0F "60/NewIss:bobby"')));
});

test('VALIDATE: HMAC-SHA1 of the device challenge, then ours; the answer must prove the key', () => {
  const key = h('00112233445566778899AABBCCDDEEFF'), dev = h('0102030405060708'), mine = h('A1A2A3A4A5A6A7A8');
  const a = oath.validate(key, dev, mine);
  assert.is(x(a.subarray(0, 5)), '00A3000020');
  assert.is(x(a.subarray(5, 27)), '7514' + createHmac('sha1', key).update(dev).digest('hex').toUpperCase());
  assert.is(x(a.subarray(27)), '7408A1A2A3A4A5A6A7A8');
  const good = tlv(0x75, new Uint8Array(createHmac('sha1', key).update(mine).digest()));
  assert.ok(oath.checkValidate(good, key, mine));
  assert.not.ok(oath.checkValidate(tlv(0x75, new Uint8Array(20)), key, mine));
});

test('SET CODE: 73 11 21 key, 74 08 challenge, 75 14 HMAC(key, challenge)', () => {
  const key = h('00112233445566778899AABBCCDDEEFF'), c = h('0102030405060708');
  const a = x(oath.setCode(key, c));
  assert.is(a, '00030000' + '33' + '731121' + x(key) + '7408' + x(c) + '7514' +
    createHmac('sha1', key).update(c).digest('hex').toUpperCase());
});

test('vendor GET INFO is read tag by tag; drift is signed ppm × 1000', () => {
  const i = oath.parseInfo(h('80 02 "S1" 81 05 "FOB-1" 82 03 050701 83 01 03 84 01 40 85 08 0000018BCFE56800 ' +
    '86 04 FFFFB1E0 87 08 0000018BCFE56800 88 01 01 89 01 07'));
  assert.equal(i, { serial: 'S1', model: 'FOB-1', firmware: '5.7.1', credentials: 3, capacity: 64, rtcMs: 1700000000000,
    driftPpm: -20, manufacturedMs: 1700000000000, accessCode: true, retries: 7 });
  assert.throws(() => oath.parseInfo(h('80 02 "S1"')), /malformed/);
});

test('vendor SET TIME, READ CLOCK and CALCULATE ONCE', () => {
  assert.is(x(oath.setTime(1700000000000, false)), '801100000800000' + '18BCFE56800');
  assert.is(x(oath.setTime(1, true)).slice(0, 8), '80110100');
  assert.is(x(oath.readClock()), '8012000000');
  assert.is(oath.parseClock(h('0000018BCFE56800')), 1700000000000);
  assert.is(x(oath.calculateOnce('a', 2, false)), x(h('80 13 00 00 0D 71 01 "a" 74 08 0000000000000002')));
  assert.is(oath.calculateOnce('a', 2, true)[2], 1, 'P1=01 under a simulated clock');
  assert.is(oath.calculateOnce('a', 2, false, true)[3], 1, 'P2=01 asks for the pair');
  assert.equal(oath.parsePair(h('76 05 06 66EF7655 76 05 06 61C5938A')), ['969429', '338314'],
    'RFC 4226 counters 3 and 4');
  assert.throws(() => oath.parsePair(h('76 05 06 66EF7655')), /CALCULATE ONCE/, 'one code is not a pair');
});

test('TLV lengths: 81 xx past 127 bytes, and malformed runs are refused, not misread', () => {
  const v = new Uint8Array(130);
  assert.is(x(tlv(0x73, v).subarray(0, 3)), '738182');
  assert.is(parseTlvs(tlv(0x73, v))![0]!.value.length, 130);
  assert.is(parseTlvs(h('71 05 01')), null);
  assert.is(parseTlvs(h('71')), null);
  assert.is(parseTlvs(h('71 83 00 00 00')), null);
});

test('credential ids: [period/][issuer:]name, the period only when not 30', () => {
  assert.is(formatId({ account: 'bob', issuer: 'Slow', type: 'totp', period: 60 }), '60/Slow:bob');
  assert.is(formatId({ account: 'bob', type: 'totp', period: 30 }), 'bob');
  assert.is(formatId({ account: 'dave', type: 'hotp', period: 60 }), 'dave');
  assert.equal(parseId('60/Slow:bob', 'totp'), { name: 'bob', issuer: 'Slow', period: 60 });
  assert.equal(parseId('Amazon Web Services:alice@123456789012', 'totp'),
    { name: 'alice@123456789012', issuer: 'Amazon Web Services', period: 30 });
  assert.equal(parseId('x:y:z', 'hotp'), { name: 'y:z', issuer: 'x', period: 0 });
  assert.throws(() => formatId({ account: 'a'.repeat(60), issuer: 'Issuer', type: 'totp', period: 30 }),
    (e: any) => e.code === 'E_ID_TOO_LONG');
  assert.is(formatId({ account: 'é'.repeat(32), type: 'totp', period: 30 }).length, 32, '64 bytes of UTF-8 fit');
});

test('queries: an exact id wins, else a case-insensitive substring; none or several is an error naming them', () => {
  const ids = ['GitHub:alice', 'GitHub:alice2', 'bob'];
  assert.equal(matches(ids, 'GitHub:alice'), ['GitHub:alice']);
  assert.equal(matches(ids, 'github'), ['GitHub:alice', 'GitHub:alice2']);
  assert.throws(() => matchOne(ids, 'github'),
    (e: any) => e.code === 'E_AMBIGUOUS' && e.message.includes('GitHub:alice2'));
  assert.throws(() => matchOne(ids, 'carol'), (e: any) => e.code === 'E_NO_MATCH' && e.message.includes('bob'));
});

test('--trace shows PUT and SET CODE as <redacted>, everything else in full', () => {
  const put = oath.put({ id: 'a', type: 'totp', algorithm: 'SHA1', digits: 6, secret: h('DEADBEEFDEADBEEFDEADBEEF') });
  assert.is(traceCommand(put), `> 00 01 00 00 ${x(put.subarray(4, 5))} <redacted>`);
  assert.is(traceCommand(oath.setCode(h('00112233445566778899AABBCCDDEEFF'), h('0102030405060708'))),
    '> 00 03 00 00 33 <redacted>');
  assert.is(traceCommand(oath.list()), '> 00 A1 00 00 00');
  assert.is(traceAnswer(h('9000')), '< 90 00');
});

test.run();
