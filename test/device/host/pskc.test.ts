// PSKC (RFC 6030) seed files: the RFC's figures decrypt to their documented secrets, vendor files
// read as batches, every refusal is typed and names its KeyPackage, and hostile XML (entities,
// DOCTYPEs, size) is refused without expansion or file access.
import { spawnSync } from 'node:child_process';
import { constants, closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkEnrollment } from '../../../device/host/enrollment.js';
import {
  needsSecret, parsePskc, PskcError, PSKC_LIMITS, type PskcOptions,
} from '../../../device/host/pskc.js';
import { ROOT, tempDir } from '../../helpers.js';
import { rng } from '../core/rng.js';

const vector = (f: string) => readFileSync(join(ROOT, 'vectors/pskc', f), 'utf8');
const fixture = (f: string) => readFileSync(join(ROOT, 'test/fixtures/pskc', f), 'utf8');
const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
const FIG6_KEY = hex('12345678901234567890123456789012');
const RFC_SECRET = '3132333435363738393031323334353637383930'; // ASCII 12345678901234567890
/** What no message may hold: the RFC secret in hex and base64, the figure 6 key, the password. */
const MATERIAL = [RFC_SECRET, 'MTIzNDU2Nzg5MDEy', '12345678901234567890123456789012', 'qwerty', 'Su+NvtQf'];

/** The PskcError thrown, checked to be typed and to hold no key material. */
function refusal(f: () => unknown, code: string): PskcError {
  try { f(); } catch (e) {
    if (!(e instanceof PskcError)) throw e;
    assert.is(e.code, code, e.message);
    for (const m of MATERIAL) assert.not.ok(e.message.includes(m), `message holds key material: ${e.message}`);
    return e;
  }
  assert.unreachable(`expected ${code}`);
  throw new Error('unreachable');
}

test('RFC 6030 Figure 2, plain HOTP key', () => {
  const x = vector('rfc6030-figure2.pskcxml');
  assert.is(needsSecret(x), 'none');
  const { keys, encrypted } = parsePskc(x);
  assert.is(encrypted, 'none');
  assert.is(keys.length, 1);
  const k = keys[0]!;
  assert.equal([k.packageIndex, k.id, k.issuer], [1, '12345678', 'Issuer-A']);
  assert.is(Buffer.from(k.enrollment.secret).toString(), '1234');
  assert.equal(
    { ...k.enrollment, secret: undefined },
    { account: '12345678', issuer: 'Issuer-A', secret: undefined, type: 'hotp', algorithm: 'SHA1', digits: 6,
      period: 30, counter: 0 },
  );
});

test('RFC 6030 Figure 3, supplementary data: device, user, 8 digits; the account is the UserId', () => {
  const [k] = parsePskc(vector('rfc6030-figure3.pskcxml')).keys;
  assert.is(hexOf(k!.enrollment.secret), RFC_SECRET);
  assert.equal([k!.serial, k!.manufacturer, k!.userId, k!.issuer],
    ['987654321', 'Manufacturer', 'UID=jsmith,DC=example-bank,DC=net', 'Issuer']);
  assert.equal([k!.enrollment.digits, k!.enrollment.counter, k!.enrollment.account],
    [8, 0, 'UID=jsmith,DC=example-bank,DC=net']);
  assert.is(checkEnrollment(k!.enrollment).id, 'Issuer:UID=jsmith,DC=example-bank,DC=net');
});

test('RFC 6030 Figure 6, pre-shared AES-128-CBC key with HMAC-SHA1 ValueMAC', () => {
  const x = vector('rfc6030-figure6.pskcxml');
  assert.is(needsSecret(x), 'psk');
  const { keys, encrypted } = parsePskc(x, { key: FIG6_KEY });
  assert.is(encrypted, 'psk');
  assert.is(hexOf(keys[0]!.enrollment.secret), RFC_SECRET);
  assert.equal([keys[0]!.enrollment.counter, keys[0]!.enrollment.digits, keys[0]!.enrollment.account],
    [0, 8, '987654321']);
});

test('RFC 6030 Figure 6 without a key asks for --pskc-key; a password is the wrong kind', () => {
  const x = vector('rfc6030-figure6.pskcxml');
  assert.match(refusal(() => parsePskc(x), 'E_PSKC_KEY').message, /--pskc-key/);
  assert.match(refusal(() => parsePskc(x, { password: 'qwerty' }), 'E_PSKC_KEY').message,
    /pre-shared key, not a password/);
});

test('RFC 6030 Figure 6 with a wrong key: E_PSKC_KEY naming the package, and a key of the wrong size says so', () => {
  const x = vector('rfc6030-figure6.pskcxml');
  const e = refusal(() => parsePskc(x, { key: hex('00000000000000000000000000000000') }), 'E_PSKC_KEY');
  assert.match(e.message, /^KeyPackage 1 \(Id '12345678', serial '987654321'\): wrong --pskc-key or --pskc-password/);
  assert.is(e.packageIndex, 1);
  assert.is(e.keyId, '12345678');
  assert.match(refusal(() => parsePskc(x, { key: hex('1234') }), 'E_PSKC_KEY').message,
    /16-byte key; the key given has 2 bytes/);
});

test('RFC 6030 Figure 7, PBKDF2 password-derived key (qwerty)', () => {
  const x = vector('rfc6030-figure7.pskcxml');
  assert.is(needsSecret(x), 'pbkdf2');
  const { keys, encrypted } = parsePskc(x, { password: 'qwerty' });
  assert.is(encrypted, 'pbkdf2');
  assert.is(hexOf(keys[0]!.enrollment.secret), RFC_SECRET);
  assert.equal([keys[0]!.id, keys[0]!.enrollment.issuer, keys[0]!.enrollment.counter], ['123456', 'Example-Issuer', 0]);
  // The RFC's derived key, given directly, opens it too.
  assert.is(hexOf(parsePskc(x, { key: hex('651e63cd57008476af1ff6422cd02e41') }).keys[0]!.enrollment.secret),
    RFC_SECRET);
});

test('RFC 6030 Figure 7 with a wrong password, or none', () => {
  const x = vector('rfc6030-figure7.pskcxml');
  assert.match(refusal(() => parsePskc(x, { password: 'qwertz' }), 'E_PSKC_KEY').message,
    /KeyPackage 1 .*wrong --pskc-key or --pskc-password/);
  assert.match(refusal(() => parsePskc(x), 'E_PSKC_KEY').message, /give --pskc-password/);
});

test('PBKDF2 iteration counts past the cap are refused before any work', () => {
  const x = vector('rfc6030-figure7.pskcxml').replace('<IterationCount>1000<', '<IterationCount>1000000000<');
  const t = process.hrtime.bigint();
  assert.match(refusal(() => parsePskc(x, { password: 'qwerty' }), 'E_PSKC_LIMIT').message,
    /IterationCount 1000000000/);
  assert.ok(process.hrtime.bigint() - t < 5_000_000_000n, 'a billion PBKDF2 rounds would take minutes');
});

test('Feitian batch: 13-digit serials, HOTP and 60 s TOTP (pskc:totp), each its own enrollment', () => {
  const { keys } = parsePskc(fixture('feitian-linotp.pskcxml'), { now: Date.parse('2026-01-01') });
  assert.equal(keys.map((k) => k.serial),
    ['1000133508267', '1000133508255', '2600124809778', '2600124809787', '2600135004012', '2600135004013']);
  assert.equal(keys.map((k) => k.enrollment.type), ['hotp', 'hotp', 'totp', 'totp', 'totp', 'totp']);
  assert.equal(keys.map((k) => k.packageIndex), [1, 2, 3, 4, 5, 6]);
  const t = keys[2]!;
  assert.equal([t.enrollment.period, t.enrollment.digits, t.startTime, t.expiryDate],
    [60, 6, 0, '2037-12-31T00:00:00Z']);
  assert.is(Buffer.from(t.enrollment.secret).toString('base64'), 'MRffGnGNJKmo8uSW313HCvGNIYM=');
  assert.is(checkEnrollment(t.enrollment).id, '60/Feitian Technology Co.,Ltd:2600124809778');
});

test('serial picks one KeyPackage out of a batch; an unknown serial lists what the file holds', () => {
  const x = fixture('feitian-linotp.pskcxml');
  const { keys } = parsePskc(x, { serial: '2600135004012' });
  assert.equal(keys.map((k) => [k.packageIndex, k.id]), [[5, '2600135004012']]);
  assert.match(refusal(() => parsePskc(x, { serial: '42' }), 'E_PSKC_SERIAL').message,
    /no KeyPackage has serial '42' .*'1000133508267'/);
});

test('both TOTP URN spellings in use read the same (pskc:totp and pskc#totp)', () => {
  const x = fixture('feitian-linotp.pskcxml');
  const hash = x.replaceAll('keyprov:pskc:totp', 'keyprov:pskc#totp');
  assert.ok(hash !== x);
  const a = parsePskc(x).keys, b = parsePskc(hash).keys;
  assert.equal(b.map((k) => k.enrollment.type), a.map((k) => k.enrollment.type));
  assert.equal(b.map((k) => hexOf(k.enrollment.secret)), a.map((k) => hexOf(k.enrollment.secret)));
});

test('an expired key (Policy ExpiryDate passed) is refused naming the date; a future StartDate is a warning', () => {
  const x = fixture('feitian-gooze.pskcxml');
  const e = refusal(() => parsePskc(x, { now: Date.parse('2026-01-01') }), 'E_PSKC_EXPIRED');
  assert.match(e.message,
    /^KeyPackage 1 \(Id '2600215704919', serial '2600215704919'\): its key expired on '2022-09-01T00:00:00Z'/);
  const early = parsePskc(x, { now: Date.parse('2012-01-01') }).keys;
  assert.equal(early.map((k) => k.warnings.length), [1, 1]);
  assert.match(early[0]!.warnings[0]!, /only from 2012-09-19/);
  assert.equal(parsePskc(x, { now: Date.parse('2015-01-01') }).keys.map((k) => k.warnings), [[], []]);
});

test('multiOTP: AES-128-CBC with HMAC-SHA256 and HMAC-SHA512 TOTP Suites', () => {
  const { keys } = parsePskc(fixture('multiotp-totp_aes.pskcxml'), { key: FIG6_KEY });
  assert.equal(keys.map((k) => k.enrollment.algorithm), ['SHA256', 'SHA512']);
  assert.is(hexOf(keys[0]!.enrollment.secret), '38c2506a8e0708a5e929c2686b827e0ba7ae28c9de3c83e6d27308345981a3de');
  assert.equal(keys.map((k) => [k.enrollment.digits, k.enrollment.period, k.startTime]), [[8, 30, 0], [8, 30, 0]]);
});

test('multiOTP: PBKDF2 with an encrypted, MACed Counter', () => {
  const [k] = parsePskc(fixture('multiotp-hotp_pbe.pskcxml'), { password: 'qwerty' }).keys;
  assert.is(hexOf(k!.enrollment.secret), '5d3a38bf5476d6f0b897f1e62887cb3ce833a5b9');
  assert.is(k!.enrollment.type, 'hotp');
  assert.ok(Number.isSafeInteger(k!.enrollment.counter));
});

test('AES-256-CBC with an HMAC-SHA384 MAC', () => {
  const key = hex('1234567890123456789012345678901234567890123456789012345678901234');
  const [k] = parsePskc(fixture('aes256-cbc.pskcxml'), { key }).keys;
  assert.is(Buffer.from(k!.enrollment.secret).toString(), '12345678901234567890');
  assert.match(refusal(() => parsePskc(fixture('aes256-cbc.pskcxml'), { key: FIG6_KEY }), 'E_PSKC_KEY').message,
    /AES-256-CBC, which takes a 32-byte key/);
});

test('AES-128 key wrap (RFC 3394): unwrapped, and a wrong key fails its integrity check', () => {
  const x = fixture('kw-aes128.pskcxml');
  assert.is(hexOf(parsePskc(x, { key: hex('000102030405060708090a0b0c0d0e0f') }).keys[0]!.enrollment.secret),
    '00112233445566778899aabbccddeeff');
  refusal(() => parsePskc(x, { key: hex('000102030405060708090a0b0c0d0e0e') }), 'E_PSKC_KEY');
});

/** Figure 6 with a second KeyPackage (Id 87654321), whose CipherValue or ValueMAC `alter` may change. */
function twoPackages(alter: (pkg: string) => string = (p) => p): string {
  const x = vector('rfc6030-figure6.pskcxml');
  const a = x.indexOf('<KeyPackage>'), b = x.indexOf('</KeyPackage>') + '</KeyPackage>'.length;
  const second = alter(x.slice(a, b).replace('Id="12345678"', 'Id="87654321"'));
  return x.slice(0, b) + second + x.slice(b);
}

test('a ValueMAC mismatch names its KeyPackage, and is found before decrypting', () => {
  assert.is(parsePskc(twoPackages(), { key: FIG6_KEY }).keys.length, 2);
  // Flip a bit in the last ciphertext block: decrypting first would have failed on the padding.
  const flipped = twoPackages((p) => p.replace(/(<xenc:CipherValue>\s*)(\S+)/, (_m, ws: string, b64: string) => {
    const b = Buffer.from(b64, 'base64'); b[b.length - 1]! ^= 1; return ws + b.toString('base64');
  }));
  const e = refusal(() => parsePskc(flipped, { key: FIG6_KEY }), 'E_PSKC_MAC');
  assert.match(e.message, /^KeyPackage 2 \(Id '87654321', serial '987654321'\): its Secret's ValueMAC does not match/);
  assert.equal([e.packageIndex, e.keyId], [2, '87654321']);
  const forged = twoPackages((p) => p.replace('Su+NvtQfmvfJzF6bmQiJqoLRExc=', Buffer.alloc(20, 7).toString('base64')));
  assert.is(refusal(() => parsePskc(forged, { key: FIG6_KEY }), 'E_PSKC_MAC').packageIndex, 2);
});

test('a CBC value without its ValueMAC is refused (RFC 6030 §6.1.1)', () => {
  const x = vector('rfc6030-figure6.pskcxml').replace(/<ValueMAC>[^<]*<\/ValueMAC>/, '');
  assert.match(refusal(() => parsePskc(x, { key: FIG6_KEY }), 'E_PSKC_MAC').message, /carries no ValueMAC/);
});

test('an unsupported algorithm is refused naming its URI; so are other Suites and encodings', () => {
  const fig2 = vector('rfc6030-figure2.pskcxml');
  const ocra = fig2.replace('keyprov:pskc:hotp', 'keyprov:pskc#OCRA-1');
  assert.match(refusal(() => parsePskc(ocra), 'E_PSKC_UNSUPPORTED').message,
    /^KeyPackage 1 \(Id '12345678'\): algorithm 'urn:ietf:params:xml:ns:keyprov:pskc#OCRA-1'/);
  const params = (inner: string) => fig2.replace('<Issuer>Issuer-A</Issuer>',
    `<Issuer>Issuer-A</Issuer><AlgorithmParameters>${inner}</AlgorithmParameters>`);
  assert.match(refusal(() => parsePskc(params('<Suite>HMAC-MD5</Suite>')), 'E_PSKC_UNSUPPORTED').message,
    /Suite 'HMAC-MD5'/);
  assert.match(refusal(() => parsePskc(params('<ResponseFormat Length="8" Encoding="ALPHANUMERIC"/>')),
    'E_PSKC_UNSUPPORTED').message, /ALPHANUMERIC/);
  assert.is(parsePskc(params('<Suite>HMAC-SHA-256</Suite><ResponseFormat Length="7" Encoding="DECIMAL"/>'))
    .keys[0]!.enrollment.algorithm, 'SHA256');
  const camellia = vector('rfc6030-figure6.pskcxml').replaceAll('xmlenc#aes128-cbc', 'xmldsig-more#camellia128-cbc');
  assert.match(refusal(() => parsePskc(camellia, { key: FIG6_KEY }), 'E_PSKC_UNSUPPORTED').message, /camellia128-cbc/);
});

test('a TOTP Time other than 0 is refused: the token counts from T0 = 0', () => {
  const x = fixture('feitian-linotp.pskcxml')
    .replace('<Time>\n          <PlainValue>0<', '<Time>\n          <PlainValue>7<');
  assert.match(refusal(() => parsePskc(x), 'E_PSKC_UNSUPPORTED').message, /^KeyPackage 3 .*its Time is 7/);
});

test('policies the token cannot enforce refuse the key (RFC 6030 §5): PINPolicy, KeyUsage without OTP', () => {
  assert.match(refusal(() => parsePskc(fixture('rfc6030-figure5.pskcxml')), 'E_PSKC_UNSUPPORTED').message, /PINPolicy/);
  const fig2 = vector('rfc6030-figure2.pskcxml');
  const usage = (u: string) => fig2.replace('</Data>', `</Data><Policy>${u}</Policy>`);
  assert.match(refusal(() => parsePskc(usage('<KeyUsage>Encrypt</KeyUsage>')), 'E_PSKC_UNSUPPORTED').message,
    /not OTP/);
  assert.is(parsePskc(usage('<KeyUsage>OTP</KeyUsage>')).keys.length, 1);
});

test('a missing secret is refused naming the KeyPackage', () => {
  const x = vector('rfc6030-figure3.pskcxml').replace(/<Secret>[\s\S]*<\/Secret>/, '');
  const e = refusal(() => parsePskc(x), 'E_PSKC_NO_SECRET');
  assert.match(e.message, /^KeyPackage 1 \(Id '12345678', serial '987654321'\): its Key holds no Secret/);
});

test('a duplicate Key Id is refused naming both KeyPackages', () => {
  const x = fixture('feitian-linotp.pskcxml').replace('Key Id="1000133508255"', 'Key Id="1000133508267"');
  const e = refusal(() => parsePskc(x), 'E_PSKC_DUPLICATE');
  assert.match(e.message,
    /^KeyPackage 2 \(Id '1000133508267', serial '1000133508255'\): its Key Id is also KeyPackage 1's/);
});

test('names from the file are shown without control characters', () => {
  const x = vector('rfc6030-figure2.pskcxml').replace('Id="12345678"', 'Id="a&#x9b;31mX&#x202e;b"')
    .replace(':hotp', ':nope');
  const e = refusal(() => parsePskc(x), 'E_PSKC_UNSUPPORTED');
  assert.not.match(e.message, /[\u0000-\u001f\u009b\u202e]/);
  assert.match(e.message, /Id 'a\?31mX\?b'/);
});

test('not PSKC: not XML, another root, a pre-RFC draft namespace', () => {
  assert.match(refusal(() => parsePskc('{"json": true}'), 'E_PSKC_XML').message, /not well-formed XML/);
  assert.match(refusal(() => parsePskc('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'E_PSKC_XML').message,
    /root element is 'svg'/);
  refusal(() => parsePskc('<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc:1.0"/>'),
    'E_PSKC_UNSUPPORTED');
  refusal(() => parsePskc(new Uint8Array([0x3c, 0xff, 0xfe, 0x3e])), 'E_PSKC_XML');
  refusal(() => parsePskc('<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"/>'),
    'E_PSKC_NO_SECRET');
});

test('UTF-16 with a BOM and UTF-8 with a BOM read like UTF-8', () => {
  const x = vector('rfc6030-figure2.pskcxml').replace('encoding="UTF-8"', 'encoding="UTF-16"');
  const u16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(x, 'utf16le')]);
  assert.is(parsePskc(new Uint8Array(u16)).keys[0]!.id, '12345678');
  const u8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(vector('rfc6030-figure2.pskcxml'))]);
  assert.is(parsePskc(new Uint8Array(u8)).keys[0]!.id, '12345678');
});

const LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE KeyContainer [
 <!ENTITY lol "lol">
 ${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('\n ')}
]>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"><KeyPackage>
 <Key Id="&lol9;" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp"><Issuer>&lol9;</Issuer>
 <Data><Secret><PlainValue>MTIzNA==</PlainValue></Secret></Data></Key></KeyPackage></KeyContainer>`;

test('a billion-laughs PSKC is refused for its DOCTYPE, without expansion', () => {
  const t = process.hrtime.bigint(), before = process.memoryUsage().heapUsed;
  const e = refusal(() => parsePskc(LAUGHS), 'E_PSKC_DOCTYPE');
  assert.is(e.message,
    'PSKC files carry no DOCTYPE; this one does (refused: entity expansion and external entities are attacks)');
  assert.is(needsSecretCode(LAUGHS), 'E_PSKC_DOCTYPE');
  // Expanded, &lol9; is 3 GB: neither the time nor the memory of that was spent.
  assert.ok(process.hrtime.bigint() - t < 5_000_000_000n);
  assert.ok(process.memoryUsage().heapUsed - before < 200 * 1024 * 1024);
});

function needsSecretCode(x: string): string {
  try { needsSecret(x); return 'ok'; } catch (e) { return (e as PskcError).code; }
}

test('an external-entity PSKC is refused without opening the file it names (a FIFO keeps its bytes)', () => {
  const t = tempDir('fob-xxe-');
  try {
    const fifo = join(t.dir, 'secret.fifo'), plain = join(t.dir, 'secret.txt');
    assert.is(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
    writeFileSync(plain, 'PLAIN-MARKER');
    // Held open read-write and non-blocking, so a reader would neither block nor go unnoticed:
    // whatever it read would be gone from the pipe.
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    try {
      writeFileSync(fd, 'FIFO-MARKER');
      for (const [decl, use] of [
        [`<!ENTITY xxe SYSTEM "file://${fifo}">`, '&xxe;'],
        [`<!ENTITY xxe SYSTEM "file://${plain}">`, '&xxe;'],
        ['<!ENTITY xxe SYSTEM "file:///etc/passwd">', '&xxe;'],
        [`<!ENTITY % p SYSTEM "file://${fifo}"> %p;`, 'x'],
      ] as const) {
        const x = `<?xml version="1.0"?><!DOCTYPE KeyContainer [ ${decl} ]><KeyContainer Version="1.0" ` +
          'xmlns="urn:ietf:params:xml:ns:keyprov:pskc"><KeyPackage>' +
          '<Key Id="1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">' +
          `<Issuer>${use}</Issuer><Data><Secret><PlainValue>MTIzNA==</PlainValue></Secret></Data></Key>` +
          '</KeyPackage></KeyContainer>';
        const e = refusal(() => parsePskc(x), 'E_PSKC_DOCTYPE');
        assert.not.match(e.message, /MARKER|root:/);
      }
      const left = Buffer.alloc(64);
      assert.is(left.subarray(0, readSync(fd, left)).toString(), 'FIFO-MARKER');
    } finally { closeSync(fd); }
  } finally { t.done(); }
});

test('a DOCTYPE without entities is refused too, and an undeclared entity is bad XML', () => {
  const fig2 = vector('rfc6030-figure2.pskcxml');
  refusal(() => parsePskc(fig2.replace('<KeyContainer', '<!DOCTYPE KeyContainer>\n<KeyContainer')), 'E_PSKC_DOCTYPE');
  refusal(() => parsePskc(fig2.replace('Issuer-A', '&xxe;')), 'E_PSKC_XML');
});

test('bounded work: bytes, depth, KeyPackages, text length', () => {
  const open = '<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">';
  const big = open + ' '.repeat(PSKC_LIMITS.bytes) + '</KeyContainer>';
  assert.match(refusal(() => parsePskc(big), 'E_PSKC_LIMIT').message, /bytes/);
  assert.match(refusal(() => parsePskc(new Uint8Array(Buffer.from(big))), 'E_PSKC_LIMIT').message, /bytes/);
  const deep = open + '<a>'.repeat(40) + '</a>'.repeat(40) + '</KeyContainer>';
  assert.match(refusal(() => parsePskc(deep), 'E_PSKC_LIMIT').message, /deeper than 32/);
  const many = open + '<KeyPackage/>'.repeat(PSKC_LIMITS.keyPackages + 1) + '</KeyContainer>';
  assert.match(refusal(() => parsePskc(many), 'E_PSKC_LIMIT').message, /more than 10000 KeyPackages/);
  const long = vector('rfc6030-figure2.pskcxml').replace('Issuer-A', 'A'.repeat(PSKC_LIMITS.text + 1));
  assert.match(refusal(() => parsePskc(long), 'E_PSKC_LIMIT').message, /characters/);
});

test('a 10,000-token vendor batch (about 7 MB, indented) is within the bounds', () => {
  const x = fixture('feitian-linotp.pskcxml');
  const a = x.indexOf('<KeyPackage>'), b = x.lastIndexOf('</KeyContainer>');
  const pkg = x.slice(a, x.indexOf('</KeyPackage>') + '</KeyPackage>'.length);
  let body = '';
  for (let i = 0; i < PSKC_LIMITS.keyPackages; i++) {
    body += '\n  ' + pkg.replaceAll('1000133508267', String(1000133500000 + i));
  }
  const { keys } = parsePskc(x.slice(0, a) + body + '\n' + x.slice(b));
  assert.is(keys.length, PSKC_LIMITS.keyPackages);
  assert.is(keys.at(-1)!.serial, String(1000133500000 + PSKC_LIMITS.keyPackages - 1));
});

// ---- mutation fuzzing ---------------------------------------------------------------------------
const SEED = Number(process.env.FUZZ_SEED ?? 20260516);
const NAMES = ['KeyContainer', 'KeyPackage', 'Key', 'Data', 'Secret', 'Counter', 'Time', 'TimeInterval', 'TimeDrift',
  'PlainValue', 'EncryptedValue', 'ValueMAC', 'MACMethod', 'MACKey', 'EncryptionKey', 'DerivedKey', 'Policy',
  'ResponseFormat', 'AlgorithmParameters', 'Suite', 'DeviceInfo', 'SerialNo', 'IterationCount', 'KeyLength', 'Salt'];
const VALUES = ['', '0', '-1', '99999999999999999999999', 'AAAA', '====', 'DECIMAL', 'HEX', '1.0', '2.0', '&amp;',
  '\u0000', 'urn:ietf:params:xml:ns:keyprov:pskc#totp', 'http://www.w3.org/2001/04/xmlenc#kw-aes256', '<!DOCTYPE x>',
  ']]>'];

/** [start, end) of a random element, from its open tag to the next close tag of that name. */
function wholeElement(src: string, r: ReturnType<typeof rng>): [number, number] | undefined {
  const opens = [...src.matchAll(/<([A-Za-z][\w:.-]*)[\s>\/]/g)];
  if (!opens.length) return undefined;
  const o = r.pick(opens), start = o.index!;
  const self = src.indexOf('/>', start), gt = src.indexOf('>', start);
  if (self !== -1 && self < gt) return [start, self + 2];
  const close = src.indexOf(`</${o[1]}>`, start);
  return close === -1 ? undefined : [start, close + o[1]!.length + 3];
}

function mutate(src: string, r: ReturnType<typeof rng>): string | Uint8Array {
  const tags = [...src.matchAll(/<\/?([A-Za-z][\w:.-]*)/g)];
  const spots = [...src.matchAll(/="([^"]*)"|>([^<]+)</g)];
  switch (!tags.length || !spots.length ? 1 : r.int(7)) {
    case 0: { // byte flips
      const b = Buffer.from(src);
      for (let n = 1 + r.int(4); n--;) b[r.int(b.length)] ^= 1 << r.int(8);
      return new Uint8Array(b);
    }
    case 1: return src.slice(0, r.int(src.length)); // truncation
    case 2: { // a whole element duplicated in place (or, sometimes, a raw span moved elsewhere)
      const el = wholeElement(src, r);
      if (el && r.int(4)) return src.slice(0, el[1]) + src.slice(el[0], el[1]) + src.slice(el[1]);
      const a = r.pick(tags).index!, b = r.pick(tags).index!, at = r.pick(tags).index!;
      return src.slice(0, at) + src.slice(Math.min(a, b), Math.max(a, b)) + src.slice(at);
    }
    case 3: { // tag swap
      const t = r.pick(tags);
      const name = t[1]!.includes(':') ? `${t[1]!.split(':')[0]}:${r.pick(NAMES)}` : r.pick(NAMES);
      const at = t.index! + t[0].indexOf(t[1]!);
      return src.slice(0, at) + name + src.slice(at + t[1]!.length);
    }
    case 4: { // attribute and text values replaced
      const m = r.pick(spots);
      const v = m[1] ?? m[2]!, at = m.index! + m[0].indexOf(v, 1);
      return src.slice(0, at) + r.pick(VALUES) + src.slice(at + v.length);
    }
    case 5: { // a character of some text (base64, numbers, names) changed
      const m = r.pick(spots), at = m.index! + 1 + r.int(Math.max(1, m[0].length - 2));
      return src.slice(0, at) + r.pick(['A', '+', '/', '=', ' ', '-', '9', 'z']) + src.slice(at + 1);
    }
    default: { // a whole element deleted (or, sometimes, a raw span)
      const el = wholeElement(src, r);
      if (el && r.int(4)) return src.slice(0, el[0]) + src.slice(el[1]);
      const a = r.pick(tags).index!, b = r.pick(tags).index!;
      return src.slice(0, Math.min(a, b)) + src.slice(Math.max(a, b));
    }
  }
}

test('mutation fuzz: 12,000 PSKC files from the figures, each a value or a PskcError', () => {
  const seeds: [string, PskcOptions][] = [
    [vector('rfc6030-figure2.pskcxml'), {}], [vector('rfc6030-figure3.pskcxml'), {}],
    [vector('rfc6030-figure6.pskcxml'), { key: FIG6_KEY }], [vector('rfc6030-figure7.pskcxml'), { password: 'qwerty' }],
    [fixture('feitian-linotp.pskcxml'), { now: 0 }], [fixture('multiotp-totp_aes.pskcxml'), { key: FIG6_KEY }],
    [fixture('kw-aes128.pskcxml'), { key: hex('000102030405060708090a0b0c0d0e0f') }],
    [twoPackages(), { key: FIG6_KEY }],
  ];
  const r = rng(SEED);
  const seen = new Map<string, number>();
  const N = 12_000;
  for (let i = 0; i < N; i++) {
    const [src, o] = seeds[i % seeds.length]!;
    let x = mutate(src, r);
    if (r.int(4) === 0 && typeof x === 'string') x = mutate(x, r); // sometimes twice
    let outcome: string;
    try {
      const { keys } = parsePskc(x, o);
      for (const k of keys) assert.ok(k.enrollment.secret.length > 0 && Number.isSafeInteger(k.enrollment.counter));
      outcome = 'value';
    } catch (e) {
      if (!(e instanceof PskcError)) {
        const shown = typeof x === 'string' ? x.slice(0, 400) : Buffer.from(x.subarray(0, 200)).toString('hex');
        throw new Error(`seed ${SEED}, input ${i}: ${(e as Error)?.stack ?? e}\n${shown}`);
      }
      outcome = e.code;
    }
    seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
  }
  const total = [...seen.values()].reduce((a, b) => a + b, 0);
  assert.is(total, N);
  // The mutations reach past the XML into the PSKC checks: values, bad XML and several typed refusals.
  for (const c of ['value', 'E_PSKC_XML', 'E_PSKC_MAC', 'E_PSKC_KEY', 'E_PSKC_UNSUPPORTED']) {
    assert.ok((seen.get(c) ?? 0) > 0, `${c}: ${[...seen]}`);
  }
  process.stderr.write(`pskc fuzz (seed ${SEED}): ${[...seen].map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
});

test.run();
