// Fuzzing enrollment in-process, through the functions `token enroll` uses: bytes are sniffed,
// read (QR or URI), checked against the device's limits and encoded as a PUT. Every input must
// end in a value or one of our typed errors: never a crash, a hang, or someone else's exception.
import { crc32 } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OtpError } from '../../../device/core/index.js';
import { checkEnrollment } from '../../../device/host/enrollment.js';
import { HostError } from '../../../device/host/errors.js';
import { put } from '../../../device/host/oath-client.js';
import { fromBytes } from '../../../device/host/sources.js';
import { AWS_URI, qrPng } from './qrpng.js';
import { rng } from '../core/rng.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20240611);
/** Through enrollment: value or typed error. Returns which, or throws on anything else. */
async function enrollOf(bytes: Uint8Array): Promise<'value' | string> {
  try {
    const f = await fromBytes(bytes);
    for (const e of f.enrollments) {
      const { id } = checkEnrollment(e);
      put({ id, type: e.type, algorithm: e.algorithm, digits: e.digits, secret: e.secret, counter: e.counter });
    }
    return 'value';
  } catch (e) {
    if ((e instanceof HostError || e instanceof OtpError) && typeof e.code === 'string') return e.code;
    throw new Error(`untyped failure for input ${Buffer.from(bytes.subarray(0, 120)).toString('hex')}: ` +
      `${(e as Error)?.stack ?? e}`);
  }
}

/** PNG chunk CRCs recomputed, so a mutation reaches the decoder instead of stopping at checkCRC. */
function fixCrcs(b: Buffer): Buffer {
  for (let o = 8; o + 12 <= b.length;) {
    const len = b.readUInt32BE(o);
    if (o + 12 + len > b.length) break;
    b.writeUInt32BE(crc32(b.subarray(o + 4, o + 8 + len)) >>> 0, o + 8 + len);
    o += 12 + len;
  }
  return b;
}

test('10,000 mutated PNGs each enroll or fail with a typed error', async () => {
  const r = rng(SEED);
  const seeds = await Promise.all([
    qrPng(AWS_URI, { scale: 1, margin: 0 }), qrPng('otpauth://totp/x?secret=GEZDGNBV', { scale: 1, margin: 1 }),
    qrPng('otpauth://hotp/I:y?secret=GEZDGNBVGY3TQOJQ&counter=3&digits=8',
      { scale: 2, margin: 0, dark: '#ffffffff', light: '#000000ff' }),
    qrPng('otpauth://totp/z?secret=GEZDGNBV&period=400', { scale: 1, margin: 2, light: '#00000000' }),
  ]);
  const outcomes = new Map<string, number>();
  for (let i = 0; i < 10_000; i++) {
    const b = Buffer.from(r.pick(seeds));
    let m: Buffer = b;
    const n = 1 + r.int(4);
    for (let k = 0; k < n; k++) {
      switch (r.int(7)) {
        case 0: m[r.int(m.length)]! ^= 1 << r.int(8); break;
        case 1: m[r.int(m.length)] = r.int(256); break;
        case 2: m = m.subarray(0, r.int(m.length)); break;
        case 3: {
          const at = r.int(m.length);
          m = Buffer.concat([m.subarray(0, at), Buffer.from(Array.from({ length: 1 + r.int(16) }, () => r.int(256))),
            m.subarray(at)]);
          break;
        }
        case 4:
          if (m.length > 24) m.writeUInt32BE(r.pick([0, 1, 7, 33, 65535, 0x7fffffff, 0xffffffff, r.int(5000)]),
            r.pick([16, 20]));
          break;
        case 5:
          if (m.length > 28) m[r.pick([24, 25, 26, 27, 28])] = r.pick([0, 1, 2, 3, 4, 6, 8, 16, 255, r.int(256)]);
          break;
        case 6: {
          const at = 33 + r.int(Math.max(1, m.length - 33));
          m = Buffer.concat([m.subarray(0, at), m.subarray(at - r.int(40))]);
          break;
        }
      }
    }
    if (r.int(3) > 0 && m.length > 8) m = fixCrcs(Buffer.from(m));
    const o = await enrollOf(new Uint8Array(m));
    outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
  }
  if (process.env.FUZZ_VERBOSE) console.log(Object.fromEntries(outcomes));
  assert.ok([...outcomes.keys()].every((k) => k === 'value' || /^E_[A-Z0-9_]+$/.test(k)), [...outcomes.keys()].join());
  assert.ok((outcomes.get('E_QR_UNREADABLE') ?? 0) > 100, 'mutations reach the decoder');
  assert.ok((outcomes.get('value') ?? 0) + (outcomes.get('E_UNSUPPORTED') ?? 0) > 0, 'some survive to a credential');
});

const URIS = [
  AWS_URI,
  'otpauth://totp/Amazon%20Web%20Services:bob@123456789012?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
  'otpauth://hotp/Issuer:acct?secret=GEZDGNBVGY3TQOJQ&counter=5&digits=8&algorithm=SHA512',
  'otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co' +
    '&algorithm=SHA1&digits=6&period=30',
  'otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example&period=60',
];
const JUNK = ['%', '%3A', ':', '?', '&', '=', '#', '/', ' ', '+', '\u0000', '\n', 'é', '\uD800', '%ZZ', '%C3%A9',
  'secret=', 'digits=9', 'period=0', 'counter=', 'algorithm=MD5', 'issuer=', '=====', 'a'.repeat(70), '1'.repeat(20),
  'otpauth://', 'hotp', 'totp', '0', '-1', '4294967296'];

test('100,000 mutated URIs each enroll or fail with a typed error', async () => {
  const r = rng(SEED + 1);
  const outcomes = new Map<string, number>();
  for (let i = 0; i < 100_000; i++) {
    let s = r.pick(URIS);
    const n = 1 + r.int(5);
    for (let k = 0; k < n; k++) {
      const at = r.int(s.length + 1);
      switch (r.int(6)) {
        case 0: s = s.slice(0, at) + String.fromCharCode(r.int(r.int(2) ? 128 : 0x3000)) + s.slice(at + 1); break;
        case 1: s = s.slice(0, at) + r.pick(JUNK) + s.slice(at); break;
        case 2: s = s.slice(0, at) + s.slice(at + 1 + r.int(8)); break;
        case 3: s = s.slice(0, at); break;
        case 4: { const p = s.split('&'); s = p.sort(() => r.next() - 0.5).join('&'); break; }
        case 5: s = s + '&' + r.pick(JUNK) + '=' + r.pick(JUNK); break;
      }
    }
    if (r.int(50) === 0) s = s + 'x'.repeat(5000);
    const o = await enrollOf(new Uint8Array(Buffer.from(s, 'utf8')));
    outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
  }
  if (process.env.FUZZ_VERBOSE) console.log(Object.fromEntries(outcomes));
  assert.ok([...outcomes.keys()].every((k) => k === 'value' || /^E_[A-Z0-9_]+$/.test(k)), [...outcomes.keys()].join());
  assert.ok((outcomes.get('value') ?? 0) > 1000, 'many mutations still enroll');
  assert.ok((outcomes.get('E_URI') ?? 0) > 1000, 'many are refused as bad URIs');
});

test.run();
