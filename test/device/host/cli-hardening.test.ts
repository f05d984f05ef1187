// The `token` process against spoofing ids, hand-edited and rolled-back stores, prototype names and
// short access codes: one line on stderr and the right exit code, and nothing stored.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac, pbkdf2Sync } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode, type State } from '../../../device/firmware/store.js';
import { lcd, columns, plainCodes, type Frame } from '../../../device/host/terminal.js';
import type { Run } from '../../helpers.js';
import { box, parsed, x, type Box } from './util.js';

const SECRET = 'JBSWY3DPEHPK3PXP';
function oneLine(r: Run, code: 1 | 2, re: RegExp) {
  assert.is(r.code, code, r.stderr + r.stdout);
  assert.is(r.stdout, '');
  assert.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^token: /);
  assert.match(r.stderr, re);
}
const ids = async (b: Box) => parsed<{ id: string }[]>(await b.token(['list', '--json'])).map((c) => c.id);
const body = (path: string): State => JSON.parse(readFileSync(path, 'utf8').split('\n').slice(2).join('\n')) as State;
const enrolled = async (b: Box, name: string) =>
  assert.is((await b.token(['enroll', '--secret', SECRET, '--name', name])).code, 0, name);
/** A PUT or RENAME APDU with raw id bytes, as `token apdu` takes it. */
const tlvId = (id: Buffer) => `71${x(Uint8Array.of(id.length))}${x(id)}`;
const putApdu = (id: Buffer) => {
  const d = `${tlvId(id)}73162106${x(Buffer.from('12345678901234567890'))}`;
  return `00010000${x(Uint8Array.of(d.length / 2))}${d}`;
};
const renameApdu = (a: Buffer, b: Buffer) => {
  const d = tlvId(a) + tlvId(b);
  return `00050000${x(Uint8Array.of(d.length / 2))}${d}`;
};

test('token rename refuses ESC, LF and U+202E in NEW: exit 2, one line naming the character, nothing renamed',
  async () => {
  const b = box();
  try {
    await enrolled(b, 'alice');
    for (const [to, cp] of [['\x1b[2J\x1b[Hhacked', 'U\\+001B'], ['a\nfake  123456', 'U\\+000A'],
      ['moc.live\u202e:bob', 'U\\+202E'], ['a\u009bb', 'U\\+009B']]) {
      oneLine(await b.token(['rename', 'alice', to!]), 2, new RegExp(`new name holds ${cp}`));
    }
    assert.equal(await ids(b), ['alice']);
  } finally { b.done(); }
});

test('token enroll refuses U+202E and controls in the name or issuer, from flags and from an otpauth URI: ' +
  'exit 1, one line', async () => {
  const b = box();
  try {
    const env = { TOKEN_SECRET: SECRET };
    oneLine(await b.token(['enroll', '--name', 'moc.live\u202e:x'], { env }), 1,
      /its name holds U\+202E, a bidi control/);
    oneLine(await b.token(['enroll', '--name', 'x', '--issuer', 'Evil\u2066Corp'], { env }), 1,
      /its issuer holds U\+2066/);
    oneLine(await b.token(['enroll',
      `otpauth://totp/Good%E2%80%AEdoog:alice?secret=${SECRET}&issuer=Good%E2%80%AEdoog`]), 1, /U\+202E/);
    oneLine(await b.token(['enroll', `otpauth://totp/alice%C2%85x?secret=${SECRET}`]), 1, /control character/);
  } finally { b.done(); }
});

test('raw APDUs through `token apdu`: PUT with ESC, LF or NUL in the id and RENAME onto the same id answer 6A80',
  async () => {
  const b = box();
  try {
    await enrolled(b, 'alice');
    for (const id of ['a\x1b[2Jb', 'a\nb', 'a\0b', 'x\u202ey']) {
      const r = await b.token(['apdu', putApdu(Buffer.from(id, 'utf8'))]);
      assert.is(r.code, 0, r.stderr);
      assert.is(r.stdout.trim(), '6A80', JSON.stringify(id));
    }
    const same = await b.token(['apdu', renameApdu(Buffer.from('alice'), Buffer.from('alice'))]);
    assert.is(same.stdout.trim(), '6A80', 'RENAME onto its own id');
    assert.equal(await ids(b), ['alice']);
  } finally { b.done(); }
});

test('renderers escape what a terminal would obey: list columns, piped codes and the LCD show \\x1b and \\u202e',
  () => {
  const f: Frame = { id: 'a\x1b[2J\u202eb', type: 'totp', code: '123456', next: '654321', step: 1, remaining: 10,
    period: 30, digits: 6, algorithm: 'SHA1', hotp: false };
  for (const out of [columns([[f.id, 'totp']]), plainCodes([f]), lcd([f], { color: false })]) {
    assert.not.ok(/[\x1b\u202e]/.test(out), JSON.stringify(out));
    assert.ok(out.includes('a\\x1b[2J\\u202eb'), out);
  }
});

test('names that are Object.prototype keys enroll, list, show, compute, rename and delete like any other', async () => {
  const b = box();
  try {
    for (const n of ['__proto__', 'toString', 'hasOwnProperty', 'constructor']) await enrolled(b, n);
    assert.equal(await ids(b), ['__proto__', 'constructor', 'hasOwnProperty', 'toString']);
    const shown = parsed<{ name: string; code: string }[]>(await b.token(['show', '--json', '--at', '1111111109']));
    assert.equal(shown.map((s) => s.name), ['__proto__', 'constructor', 'hasOwnProperty', 'toString']);
    assert.ok(shown.every((s) => /^\d{6}$/.test(s.code)));
    assert.match((await b.token(['code', '__proto__'])).stdout, /^\d{6}\n$/);
    assert.is((await b.token(['rename', 'toString', 'valueOf'])).code, 0);
    assert.is((await b.token(['delete', 'hasOwnProperty'])).code, 0);
    assert.equal(await ids(b), ['__proto__', 'constructor', 'valueOf']);
  } finally { b.done(); }
});

for (const [what, edit, re] of [
  ['an id with ESC', (s: State & Record<string, unknown>) => { s.credentials[0]!.id = '\x1b[2Jx'; },
    /credentials\[0\]\.id '\\x1b\[2Jx' \(U\+001B/],
  ['a __proto__ field', (s: State & Record<string, unknown>) => {
    Object.defineProperty(s, '__proto__', { value: { retries: 8 }, enumerable: true });
  }, /unknown field "__proto__"/],
  ['driftPpm 1e300', (s: State & Record<string, unknown>) => { s.identity.driftPpm = 1e300; }, /identity\.driftPpm/],
] as const) {
  test(`a hand-edited store with a valid checksum and ${what} is refused by every command: ` +
    `exit 1, one line naming the field`, async () => {
    const b = box();
    try {
      await enrolled(b, 'alice');
      const s = body(b.device) as State & Record<string, unknown>;
      edit(s);
      writeFileSync(b.device, encode(s), { mode: 0o600 });
      for (const cmd of [['list'], ['show'], ['code', 'x']]) oneLine(await b.token(cmd), 1, re);
    } finally { b.done(); }
  });
}

test('a store copied back over a newer one is refused (the rollback record), with the way out; ' +
  'deleting the record accepts it', async () => {
  const b = box();
  try {
    await enrolled(b, 'alice');
    copyFileSync(b.device, join(b.dir, 'old.dev'));
    await enrolled(b, 'bob');
    assert.is((await b.token(['delete', 'alice'])).code, 0);
    copyFileSync(join(b.dir, 'old.dev'), b.device);
    const records = join(b.dir, 'state', 'totp-fob', 'generations');
    const rec = join(records, readdirSync(records)[0]!);
    const r = await b.token(['list']);
    oneLine(r, 1, /older than this host last saw it \(generation \d+, the record says \d+\)/);
    assert.ok(r.stderr.includes(`delete ${rec} and run again`), r.stderr);
    rmSync(rec);
    assert.equal(await ids(b), ['alice']);
    await enrolled(b, 'carol');
    assert.equal(await ids(b), ['alice', 'carol'], 'writes go on, and the record follows again');
  } finally { b.done(); }
});

test('access codes: a new code under 6 characters is a usage error; a code set earlier shorter still opens the token',
  async () => {
  const b = box();
  try {
    await enrolled(b, 'alice');
    oneLine(await b.token(['access', 'set'], { env: { TOKEN_ACCESS_CODE: '12345' } }), 2,
      /the new access code is 5 characters; use at least 6/);
    assert.is(parsed<{ accessCode: boolean }>(await b.token(['info', '--json'])).accessCode, false, 'nothing was set');
    // A 4-digit code as an earlier version (or ykman) could set it: SET CODE with K from the salt.
    const sel = (await b.token(['apdu', '--raw', '00A4040007A0000005272101'])).stdout.trim();
    const K = pbkdf2Sync('1234', Buffer.from(sel.slice(14, 30), 'hex'), 1000, 16, 'sha1');
    const chal = Buffer.alloc(8, 9);
    const set = `0003000033731121${x(K)}7408${x(chal)}7514${x(createHmac('sha1', K).update(chal).digest())}`;
    assert.is((await b.token(['apdu', set])).stdout.trim(), '9000');
    assert.equal((await b.token(['list', '--json'], { env: { TOKEN_ACCESS_CODE: '1234' } })).code, 0,
      'the old short code opens');
    oneLine(await b.token(['access', 'change'], { env: { TOKEN_ACCESS_CODE: '1234', TOKEN_NEW_ACCESS_CODE: '4321' } }),
      2, /at least 6/);
    assert.is(parsed<{ retries: number }>(await b.token(['info', '--json'])).retries, 8,
      'a refused change spent no try');
    assert.is((await b.token(['access', 'change'],
      { env: { TOKEN_ACCESS_CODE: '1234', TOKEN_NEW_ACCESS_CODE: 'much longer' } })).code, 0);
    assert.equal(body(b.device).access.kdf, { N: 2 ** 17, r: 8, p: 1 },
      'the new code is sealed at today\'s scrypt cost');
  } finally { b.done(); }
});

test.run();
