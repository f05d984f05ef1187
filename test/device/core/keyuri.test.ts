// Google's Key Uri Format: what real producers send, what we refuse, and a fuzz.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ALGORITHMS, MAX_URI, OtpError, base32Encode, formatKeyUri, parseKeyUri, type KeyUri,
} from '../../../device/core/index.js';
import { rng } from './rng.js';

const S = 'JBSWY3DPEHPK3PXP';
const SECRET = new Uint8Array([0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x21, 0xde, 0xad, 0xbe, 0xef]);
const refuse = (uri: string, why: RegExp) => {
  try { parseKeyUri(uri); } catch (e) {
    assert.instance(e, OtpError);
    assert.is((e as OtpError).code, 'E_URI');
    assert.match((e as Error).message, why);
    return;
  }
  assert.unreachable(`accepted ${uri}`);
};

const parse = suite('parseKeyUri');
parse("the form AWS's QR codes carry", () => {
  const k = parseKeyUri(
    `otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=${S}&issuer=Amazon%20Web%20Services`);
  assert.equal(k, { type: 'totp', account: 'alice@123456789012', issuer: 'Amazon Web Services', secret: SECRET,
    algorithm: 'SHA1', digits: 6, period: 30, counter: 0, warnings: [] });
});
parse('the documented AWS form without an issuer: virtualMFADeviceName@AccountName', () => {
  const k = parseKeyUri(`otpauth://totp/mfa-bob@123456789012?secret=${S}`);
  assert.is(k.account, 'mfa-bob@123456789012');
  assert.is(k.issuer, undefined);
});
parse('label separator as ":" or "%3A", with spaces around the account', () => {
  for (const label of ['ACME%20Co:john.doe%40email.com', 'ACME%20Co%3Ajohn.doe@email.com',
    'ACME%20Co:%20%20john.doe@email.com', 'ACME Co: john.doe@email.com']) {
    const k = parseKeyUri(`otpauth://totp/${label}?secret=${S}`);
    assert.is(k.issuer, 'ACME Co', label);
    assert.is(k.account, 'john.doe@email.com', label);
  }
});
parse('every parameter, in any order and case of values', () => {
  const k = parseKeyUri('otpauth://hotp/Example:alice?counter=42&digits=8&algorithm=sha256'
    + `&secret=${S.toLowerCase()}&period=60&issuer=Example`);
  assert.equal([k.type, k.counter, k.digits, k.algorithm, k.issuer], ['hotp', 42, 8, 'SHA256', 'Example']);
  assert.equal(k.secret, SECRET);
  const t = parseKeyUri(`otpauth://totp/x?secret=${S}&period=60&algorithm=SHA512&digits=7`);
  assert.equal([t.period, t.algorithm, t.digits], [60, 'SHA512', 7]);
});
parse('defaults: SHA1, 6 digits, 30 s; scheme and type are case-insensitive', () => {
  const k = parseKeyUri(`OTPAUTH://TOTP/alice?secret=${S}`);
  assert.equal([k.type, k.algorithm, k.digits, k.period, k.counter], ['totp', 'SHA1', 6, 30, 0]);
});
parse('unknown parameters (image, foo) are ignored; so is a fragment', () => {
  const k = parseKeyUri(`otpauth://totp/alice?secret=${S}&image=https%3A%2F%2Fexample.com%2Fa.png&foo=bar&lock#frag`);
  assert.is(k.account, 'alice');
  assert.equal(k.warnings, []);
});
parse('when the label issuer and the issuer parameter differ, the parameter wins and a warning names both', () => {
  const k = parseKeyUri(`otpauth://totp/Old%20Name:alice?secret=${S}&issuer=New%20Name`);
  assert.is(k.issuer, 'New Name');
  assert.is(k.warnings.length, 1);
  assert.match(k.warnings[0]!, /'Old Name'.*'New Name'/);
  assert.is(parseKeyUri(`otpauth://totp/alice?secret=${S}&issuer=Only%20Param`).issuer, 'Only Param');
});
parse("'+' is a plus in the label but a space in the query (form encoding)", () => {
  const k = parseKeyUri(`otpauth://totp/Ex:alice+tag@example.com?secret=${S}&issuer=Ex+Co`);
  assert.is(k.account, 'alice+tag@example.com');
  assert.is(k.issuer, 'Ex Co');
});
parse('secrets with padding and spaces (%20) decode', () => {
  assert.equal(parseKeyUri('otpauth://totp/a?secret=MZXW6YTBOI%3D%3D%3D%3D%3D%3D').secret,
    new TextEncoder().encode('foobar'));
  assert.equal(parseKeyUri('otpauth://totp/a?secret=MZXW%206YTB%20OI').secret, new TextEncoder().encode('foobar'));
});
parse('refuses what is not a single key, with a clear reason', () => {
  refuse('https://example.com/?secret=' + S, /must look like otpauth:\/\/totp/);
  refuse('otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8', /Google Authenticator export/);
  refuse(`otpauth://xotp/a?secret=${S}`, /type 'xotp'/);
  refuse('otpauth://totp/alice?issuer=X', /secret= is missing/);
  refuse('otpauth://totp/alice?secret=', /secret= is missing/);
  refuse('otpauth://totp/alice?secret=JBSW1', /'1' at position 5/);
  refuse('otpauth://totp/alice?secret=A', /shorter than one byte/);
  refuse(`otpauth://totp/alice?secret=${S}&digits=5`, /digits must be 6 to 10/);
  refuse(`otpauth://totp/alice?secret=${S}&digits=six`, /not a whole number/);
  refuse(`otpauth://totp/alice?secret=${S}&period=0`, /period/);
  refuse(`otpauth://totp/alice?secret=${S}&algorithm=MD5`, /unknown algorithm 'MD5'/);
  refuse(`otpauth://hotp/alice?secret=${S}`, /counter= is required/);
  refuse(`otpauth://hotp/alice?secret=${S}&counter=-1`, /not a whole number/);
  refuse(`otpauth://hotp/alice?secret=${S}&counter=99999999999999999`, /counter/);
  refuse(`otpauth://totp/alice?secret=${S}&secret=${S}`, /appears twice/);
  refuse(`otpauth://totp/Issuer:?secret=${S}`, /no account/);
  refuse(`otpauth://totp/?secret=${S}`, /no account/);
  refuse(`otpauth://totp/al%ZZice?secret=${S}`, /broken %-escape/);
  refuse(`otpauth://totp/al%0Aice?secret=${S}`, /control characters/);
  refuse(`otpauth://totp/alice?secret=${S}&issuer=a%00b`, /control characters/);
  refuse(`otpauth://totp/alice?secret=${S}&x=${'A'.repeat(MAX_URI)}`, /longer than 4096/);
  refuse(42 as unknown as string, /not text/);
});
parse('totp ignores counter, hotp ignores period', () => {
  assert.is(parseKeyUri(`otpauth://totp/a?secret=${S}&counter=junk`).counter, 0);
  assert.is(parseKeyUri(`otpauth://hotp/a?secret=${S}&counter=3&period=junk`).period, 30);
});
parse.run();

const fmt = suite('formatKeyUri');
fmt('issuer as label prefix and parameter; defaults left out; "@" stays readable', () => {
  assert.is(
    formatKeyUri({ type: 'totp', account: 'alice@123456789012', issuer: 'Amazon Web Services', secret: SECRET }),
    `otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=${S}&issuer=Amazon%20Web%20Services`);
  assert.is(formatKeyUri({ type: 'hotp', account: 'bob', secret: SECRET, algorithm: 'SHA512', digits: 8, counter: 9 }),
    `otpauth://hotp/bob?secret=${S}&algorithm=SHA512&digits=8&counter=9`);
  assert.is(formatKeyUri({ type: 'totp', account: 'a&b', secret: SECRET, period: 60 }),
    `otpauth://totp/a%26b?secret=${S}&period=60`);
});
fmt('refuses a ":" in issuer or account, an empty account or secret, and bad parameters', () => {
  const no = (k: Partial<KeyUri>, why: RegExp) =>
    assert.throws(() => formatKeyUri({ type: 'totp', account: 'a', secret: SECRET, ...k } as KeyUri),
    (e: Error) => e instanceof OtpError && e.code === 'E_URI' && why.test(e.message));
  no({ issuer: 'A:B' }, /':'/);
  no({ account: 'x:y' }, /':'/);
  no({ account: ' ' }, /account is empty/);
  no({ secret: new Uint8Array(0) }, /secret/);
  no({ digits: 5 }, /digits/);
  no({ period: 0 }, /period/);
  no({ account: 'a\nb' }, /control/);
});
fmt('10,000 random keys round-trip through format and parse', () => {
  const r = rng();
  const chars = [...'abcXYZ019 .@_-+&=?#/%\u00e9\u4e2d', '\ud83d\ude00'];
  const word = () => {
    let s = '';
    while (!s.trim()) s = Array.from({ length: r.range(1, 12) }, () => r.pick(chars)).join('');
    return s.trim();
  };
  for (let i = 0; i < 10_000; i++) {
    const k: KeyUri = {
      type: r.pick(['totp', 'hotp'] as const), account: word(), ...(r.int(2) ? { issuer: word() } : {}),
      secret: r.bytes(r.range(1, 64)), algorithm: r.pick(ALGORITHMS), digits: r.range(6, 10),
      period: r.range(1, 300), counter: r.int(2 ** 53),
    };
    const back = parseKeyUri(formatKeyUri(k));
    assert.equal(back, {
      ...k, issuer: k.issuer, period: k.type === 'totp' ? k.period : 30, counter: k.type === 'hotp' ? k.counter : 0,
      warnings: [],
    },
      `${formatKeyUri(k)} (seed ${r.seed})`);
  }
});
fmt.run();

const fuzz = suite('parseKeyUri fuzz');
const BITS = ['otpauth://', 'totp', 'hotp', '/', ':', '%3A', '%3a', '?', '&', '=', '#', '+', ' ', '%', '%2', '%ZZ',
  '%00', '%0A', '%F0%9F', '%E9', 'secret=', `secret=${S}`, 'issuer=', 'issuer=X', 'digits=', 'digits=8', 'digits=5',
  'period=0', 'period=60', 'counter=', 'counter=-1', 'counter=1', 'algorithm=MD5', 'algorithm=sha256', 'A', '1',
  '\u0000', '\n', '\u00e9', '\ud83d', '\ude00', 'otpauth-migration://'];
fuzz('100,000 random and mutated URIs: a key or an E_URI OtpError, nothing else', () => {
  const r = rng();
  const seeds = [
    `otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=${S}&issuer=Amazon%20Web%20Services`,
    `otpauth://hotp/Ex:bob?secret=${S}&counter=5&digits=8&algorithm=SHA512`,
    `otpauth://totp/carol?secret=${S}&period=60&image=x`,
  ];
  let ok = 0, refused = 0;
  for (let i = 0; i < 100_000; i++) {
    let s: string;
    if (i % 4 === 0) {
      s = Array.from({ length: r.int(30) }, () => r.pick(BITS)).join('');
    } else {
      s = r.pick(seeds);
      for (let k = r.range(1, 4); k > 0; k--) {
        const at = r.int(s.length + 1), op = r.int(5);
        s = op === 0 ? s.slice(0, at) + r.pick(BITS) + s.slice(at)
          : op === 1 ? s.slice(0, at) + s.slice(at + r.range(1, 5))
          : op === 2 ? s.slice(0, at) + String.fromCharCode(r.int(0x3000)) + s.slice(at + 1)
          : op === 3 ? s.slice(0, at) + s.slice(at - r.int(at + 1))
          : s.slice(0, at);
      }
    }
    try {
      const k = parseKeyUri(s);
      const sane = (k.type === 'totp' || k.type === 'hotp') && k.account.length > 0 && k.secret.length > 0
        && ALGORITHMS.includes(k.algorithm) && k.digits >= 6 && k.digits <= 10 && k.period >= 1
        && Number.isSafeInteger(k.counter) && Array.isArray(k.warnings);
      if (!sane) assert.unreachable(`insane result for ${JSON.stringify(s)}: ${JSON.stringify(k)}`);
      ok++;
    } catch (e) {
      if (!(e instanceof OtpError) || e.code !== 'E_URI') {
        assert.unreachable(`${JSON.stringify(s)} threw ${String(e)} (seed ${r.seed})`);
      }
      refused++;
    }
  }
  assert.ok(ok > 10_000 && refused > 10_000, `both outcomes exercised: ${ok} parsed, ${refused} refused`);
});
fuzz.run();
