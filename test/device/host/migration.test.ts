// Google Authenticator's export (otpauth-migration://), read in-process: payloads built here by a
// separate protobuf writer round-trip, their codes are oathtool's, every malformed shape is refused
// with our typed error, and 10,000+ mutated inputs each end in a value or that error.
import { spawnSync } from 'node:child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { hotp, OtpError } from '../../../device/core/index.js';
import { decodePayload, MAX_DATA, parseMigrationUri } from '../../../device/host/migration.js';
import { HostError } from '../../../device/host/errors.js';
import { has, oracle } from '../../helpers.js';
import { exportUri, key, len, num, otpParams, payload, varint, type OtpParams } from './export.js';
import { rng } from '../core/rng.js';

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const codeOf = (f: () => unknown): string => {
  try { f(); return 'value'; } catch (e) {
    if (e instanceof HostError || e instanceof OtpError) return e.code;
    throw e;
  }
};
const messageOf = (f: () => unknown): string => { try { f(); } catch (e) { return (e as Error).message; } return ''; };

/** A secret whose export has both a raw `+` and a raw `/` in data=. */
function plusSlashSecret(rest: OtpParams[]): Uint8Array {
  for (let i = 0; i < 256; i++) {
    const secret = Uint8Array.from([0xfb, 0xef, 0xbe, i, 0xff, 0xfe, 0xfc, 0xf8, 0xf0, 0xe0, 0xc0, 0x80, 0x3f, 0x7e,
      0xfd, 0xfb]);
    const uri = exportUri({ params: [...rest, { secret, name: 'plus' }] });
    if (uri.includes('+') && uri.includes('/')) return secret;
  }
  throw new Error('no such secret');
}
const S1 = bytes('12345678901234567890'), S256 = bytes('12345678901234567890123456789012');
const S512 = bytes('1234567890123456789012345678901234567890123456789012345678901234');
const KNOWN: OtpParams[] = [
  { secret: S1, name: 'ACME Co:alice@example.com', issuer: 'ACME Co', algorithm: 1, digits: 1, type: 2 },
  { secret: S256, name: 'Zoë 日本語', issuer: 'Büro', algorithm: 2, digits: 2, type: 2 },
  { secret: S512, name: 'Ünïcødé:ψ', algorithm: 3, digits: 2, type: 2 },
  { secret: S1, name: 'counter', issuer: 'Bank', algorithm: 1, digits: 1, type: 1, counter: 7 },
  { secret: S256, name: 'hotp256', algorithm: 2, digits: 2, type: 1, counter: 2 ** 32 - 1 },
];
const ALL = [...KNOWN,
  { secret: plusSlashSecret(KNOWN), name: 'plus', issuer: 'Slash', algorithm: 1, digits: 1, type: 2 }];

const R = suite('a Google Authenticator export built from known credentials round-trips');

R('TOTP and HOTP, SHA-1/256/512, 6 and 8 digits, unicode names, a raw + and / in data=', () => {
  const uri = exportUri({ params: ALL, batchSize: 3, batchIndex: 1, batchId: -5 & 0x7fffffff });
  assert.ok(/data=[^&]*\+/.test(uri) && /data=[^&]*\//.test(uri), 'raw + and / in the data');
  const m = parseMigrationUri(uri);
  assert.equal(m.part, { index: 1, size: 3, id: -5 & 0x7fffffff, version: 1 });
  assert.equal(m.enrollments.map((e) =>
    [e.issuer ?? null, e.account, e.type, e.algorithm, e.digits, e.period, e.counter]), [
    ['ACME Co', 'alice@example.com', 'totp', 'SHA1', 6, 30, 0],
    ['Büro', 'Zoë 日本語', 'totp', 'SHA256', 8, 30, 0],
    ['Ünïcødé', 'ψ', 'totp', 'SHA512', 8, 30, 0],
    ['Bank', 'counter', 'hotp', 'SHA1', 6, 30, 7],
    [null, 'hotp256', 'hotp', 'SHA256', 8, 30, 2 ** 32 - 1],
    ['Slash', 'plus', 'totp', 'SHA1', 6, 30, 0],
  ]);
  m.enrollments.forEach((e, i) => assert.equal([...e.secret], [...ALL[i]!.secret]));
  assert.equal(m.warnings, []);
});

R('its codes equal oathtool\'s (TOTP at three times, HOTP SHA-1 at its counter; HOTP SHA-256 by RFC 4226 over core)',
  () => {
  if (!oracle('oathtool', has('oathtool'))) return;
  const m = parseMigrationUri(exportUri({ params: ALL }));
  const run = (args: string[]) => {
    const r = spawnSync('oathtool', args, { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  let n = 0;
  for (const e of m.enrollments) {
    const hex = Buffer.from(e.secret).toString('hex');
    if (e.type === 'totp') {
      for (const t of [59, 1111111109, 2000000000]) {
        const want = run([`--totp=${e.algorithm.toLowerCase()}`, '-d', String(e.digits), '-N', `@${t}`, hex]);
        assert.is(hotp(e.secret, Math.floor(t / e.period), { digits: e.digits, algorithm: e.algorithm }), want,
          e.account);
        n++;
      }
    } else if (e.algorithm === 'SHA1') {
      assert.is(hotp(e.secret, e.counter, { digits: e.digits }),
        run(['--hotp', '-c', String(e.counter), '-d', String(e.digits), hex]));
      n++;
    }
  }
  assert.is(n, 13);
});

R('data= %-escaped, URL-safe, padded, with a space for a +, and with other parameters reads the same', () => {
  const b64 = Buffer.from(payload({ params: ALL })).toString('base64');
  const want = parseMigrationUri(`otpauth-migration://offline?data=${b64}`).enrollments;
  for (const data of [encodeURIComponent(b64), b64.replace(/\+/g, '-').replace(/\//g, '_'),
    b64.replace(/=+$/, '') + '==',
    b64.replace(/\+/g, ' '), b64.replace(/\+/g, '%2B')]) {
    assert.equal(parseMigrationUri(`otpauth-migration://offline?foo=1&data=${data}&x`).enrollments, want, data);
  }
  assert.equal(parseMigrationUri(`OTPAUTH-MIGRATION://offline/?data=${b64}#frag`).enrollments, want);
});

R('the issuer field wins over the name\'s prefix, with a warning; a name without prefix keeps the issuer field', () => {
  const m = decodePayload(payload({
    params: [{ secret: S1, name: 'Old:me', issuer: 'New' }, { secret: S1, name: 'x', issuer: 'I' }],
  }));
  assert.equal(m.enrollments.map((e) => [e.issuer, e.account]), [['New', 'me'], ['I', 'x']]);
  assert.match(m.warnings[0]!,
    /credential 1 \('New:me'\): its name's issuer 'Old' differs from its issuer 'New'; using 'New'/);
});

R('unknown fields of known wire types are skipped; the last of a repeated scalar wins (protobuf rules)', () => {
  const p = Uint8Array.from([
    ...len(1, [...otpParams({ secret: S1, name: 'a', digits: 1 }), ...num(5, 2), ...num(99, 5), ...len(100, [1, 2]),
      ...key(101, 1), 1, 2, 3, 4, 5, 6, 7, 8, ...key(102, 5), 1, 2, 3, 4]),
    ...num(2, 1), ...len(77, [9, 9, 9]),
  ]);
  const m = decodePayload(p);
  assert.is(m.enrollments[0]!.digits, 8);
  assert.equal(m.part, { index: 0, size: 1, id: 0, version: 1 });
});
R.run();

const X = suite('a malformed or unsupported export is refused with a typed error, and never shows the secret');

X('truncated anywhere: every proper prefix of a payload is E_MIGRATION or a shorter value', () => {
  const p = payload({ params: ALL.slice(0, 2) });
  let refused = 0;
  for (let n = 1; n < p.length; n++) {
    const c = codeOf(() => decodePayload(p.subarray(0, n)));
    assert.ok(c === 'E_MIGRATION' || c === 'value', `${n}: ${c}`);
    if (c === 'E_MIGRATION') refused++;
  }
  assert.ok(refused > p.length / 2, `${refused} of ${p.length} prefixes refused`);
});

X('overlong and oversized: an 11-byte varint, a number over 2^53, a length past the end, a payload over the cap',
  () => {
  const cases: [string, number[], RegExp][] = [
    ['11-byte varint', [0x10, ...Array(10).fill(0x80), 0x01], /runs past 10 bytes/],
    ['2^53 + 1', [0x10, ...varint(2n ** 53n + 1n)], /2\^53 or over/],
    ['2^53', [0x10, ...varint(2n ** 53n)], /2\^53 or over/],
    ['negative int32 (ten bytes of two\'s complement)', [0x20, ...varint(-1)], /2\^53 or over/],
    ['length past the end', [0x0a, 0x05, 1, 2], /field 1 runs past the end/],
    ['huge length', [0x0a, ...varint(2 ** 40)], /field 1 runs past the end/],
    ['field number 0', [0x00, 0x01], /numbered 0/],
    ['key runs out', [0x80], /ends inside a number/],
  ];
  for (const [what, b, re] of cases) {
    const msg = messageOf(() => decodePayload(Uint8Array.from(b)));
    assert.match(msg, re, what);
    assert.is(codeOf(() => decodePayload(Uint8Array.from(b))), 'E_MIGRATION', what);
  }
  assert.match(messageOf(() => decodePayload(new Uint8Array(MAX_DATA + 1))), /over 8192 bytes/);
  assert.match(messageOf(() => parseMigrationUri(`otpauth-migration://offline?data=${'A'.repeat(3 * MAX_DATA)}`)),
    /longer than/);
});

X('wire types 3, 4 (groups), 6 and 7 are refused, at the top and inside a credential', () => {
  for (const w of [3, 4, 6, 7]) {
    assert.match(messageOf(() => decodePayload(Uint8Array.from([...key(9, w), 0]))), new RegExp(`wire type ${w}`));
    assert.is(codeOf(() => decodePayload(Uint8Array.from(len(1, [...otpParams({ secret: S1, name: 'a' }),
      ...key(9, w)])))), 'E_MIGRATION');
  }
  assert.match(messageOf(() => decodePayload(Uint8Array.from([...key(1, 0), 1]))),
    /field 1 of the payload has the wrong wire type/);
  assert.match(messageOf(() => decodePayload(Uint8Array.from(len(1, [...key(2, 0), 5])))),
    /field 2 of credential 1 has the wrong wire type/);
  assert.match(messageOf(() => decodePayload(Uint8Array.from(len(1, [...len(1, [1, 2]), ...len(2, [0xff, 0xfe])])))),
    /not UTF-8/);
});

X('MD5, an unknown algorithm, digit count or type are refused naming the credential (E_UNSUPPORTED)', () => {
  const one = (o: Partial<OtpParams>) =>
    payload({ params: [{ secret: S1, name: 'ok' }, { secret: S1, name: 'Shop:bob', ...o }] });
  const cases: [Partial<OtpParams>, RegExp][] = [
    [{ algorithm: 4 }, /^credential 2 \('Shop:bob'\): MD5 is not an OATH algorithm/],
    [{ algorithm: 9 }, /^credential 2 \('Shop:bob'\): unknown algorithm 9/],
    [{ digits: 3 }, /^credential 2 \('Shop:bob'\): unknown digit count 3/],
    [{ type: 0 }, /^credential 2 \('Shop:bob'\): unknown type 0/],
    [{ type: 3 }, /unknown type 3/],
  ];
  for (const [o, re] of cases) {
    assert.match(messageOf(() => decodePayload(one(o))), re);
    assert.is(codeOf(() => decodePayload(one(o))), 'E_UNSUPPORTED');
  }
  assert.match(messageOf(() => decodePayload(one({ secret: new Uint8Array(0) }))),
    /credential 2 \('Shop:bob'\) has no secret/);
  assert.match(messageOf(() => decodePayload(one({ name: 'Shop:  ' }))), /credential 2 .* has no name/);
  assert.match(messageOf(() => decodePayload(payload({ params: [{ secret: S1, name: 'a' }], batchSize: 2,
    batchIndex: 2 }))), /part 3 of 2/);
  // Unspecified algorithm and digits are the otpauth defaults.
  const d = decodePayload(one({ algorithm: 0, digits: 0 })).enrollments[1]!;
  assert.equal([d.algorithm, d.digits], ['SHA1', 6]);
});

X('the URI shape: no data=, two data=, not base64, a broken %-escape, another host', () => {
  for (const [u, re] of [
    ['otpauth-migration://offline?x=1', /data= is missing/],
    ['otpauth-migration://offline?data=', /data= is missing/],
    ['otpauth-migration://offline?data=AA&data=AA', /twice/],
    ['otpauth-migration://offline?data=A$B', /not base64/],
    ['otpauth-migration://offline?data=A', /not base64/],
    ['otpauth-migration://offline?data=%zz', /broken %-escape/],
    ['otpauth-migration://online?data=AA', /must look like/],
  ] as const) {
    assert.match(messageOf(() => parseMigrationUri(u)), re, u);
    assert.is(codeOf(() => parseMigrationUri(u)), 'E_MIGRATION', u);
  }
});
X.run();

// --- mutation fuzz ------------------------------------------------------------------------------

const F = suite('mutation fuzz: every mutated export ends in a value or our typed error');

F('10,000 payload mutations and 2,000 URI mutations; none leaks the secret into a message', () => {
  const r = rng(Number(process.env.FUZZ_SEED ?? 16016));
  const SECRET = bytes('fuzz-secret-0123456789'), secretHex = Buffer.from(SECRET).toString('hex');
  const base = payload({ params: [...ALL, { secret: SECRET, name: 'Fuzz:me', type: 1, counter: 9 }], batchSize: 2,
    batchIndex: 1, batchId: 42 });
  const tally = new Map<string, number>();
  const check = (f: () => unknown, input: Uint8Array | string) => {
    let c: string;
    try { f(); c = 'value'; } catch (e) {
      if (!(e instanceof HostError || e instanceof OtpError)) {
        throw new Error(`untyped failure for ${Buffer.from(input).toString('hex').slice(0, 200)}: ` +
          `${(e as Error)?.stack ?? e}`);
      }
      // A mutation can renumber the secret's field into the name's; a name is quoted as `credential N ('…')`.
      const m = e.message.replace(/credential \d+ \('[^']*'\)/g, '');
      assert.not.ok(m.includes('fuzz-secret') || m.includes(secretHex), `no secret in a message: ${e.message}`);
      c = e.code;
    }
    tally.set(c, (tally.get(c) ?? 0) + 1);
  };
  let n = 0;
  for (let i = 0; i < 10_000; i++, n++) {
    const b = Uint8Array.from(base);
    const k = 1 + r.int(4);
    let m: Uint8Array = b;
    for (let j = 0; j < k; j++) {
      const op = r.int(5), at = r.int(m.length + 1);
      if (op === 0) m[at % m.length] = r.int(256);
      else if (op === 1) m[at % m.length] ^= 1 << r.int(8);
      else if (op === 2) m = m.subarray(0, at);
      else if (op === 3) m = Uint8Array.from([...m.subarray(0, at),
        ...Array.from({ length: 1 + r.int(12) }, () => r.int(256)), ...m.subarray(at)]);
      else m = Uint8Array.from([...m.subarray(0, at), ...m.subarray(Math.min(m.length, at + 1 + r.int(8)))]);
    }
    check(() => decodePayload(m), m);
  }
  const uri = exportUri(base), alphabet = 'AZaz09+/=-_%&?#:. \u00e9\u0000';
  for (let i = 0; i < 2_000; i++, n++) {
    let u = uri;
    for (let j = 0; j < 1 + r.int(3); j++) {
      const at = r.int(u.length + 1);
      u = r.int(2) ? u.slice(0, at) + alphabet[r.int(alphabet.length)] + u.slice(at)
        : u.slice(0, at) + u.slice(at + 1 + r.int(4));
    }
    check(() => parseMigrationUri(u), u);
  }
  assert.is(n, 12_000);
  assert.ok((tally.get('value') ?? 0) > 100 && (tally.get('E_MIGRATION') ?? 0) > 1000, JSON.stringify([...tally]));
});
F.run();
