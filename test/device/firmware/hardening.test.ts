// The firmware under attack: ids a terminal would obey, hand-edited stores, the scrypt cost kept in
// the store, the last try spent but never judged, a rolled-back store, and RENAME onto a taken id.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHmac, pbkdf2Sync } from 'node:crypto';
import fs, { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { boot, FirmwareError } from '../../../device/firmware/index.js';
import { idProblem, printableId } from '../../../device/firmware/credential.js';
import { deriveSealKey, LEGACY_KDF, sealSecret } from '../../../device/firmware/seal.js';
import { encode, type State } from '../../../device/firmware/store.js';
import { fresh, h, info, tx, x, SELECT, type Fresh } from './util.js';

const SEED = '"12345678901234567890"';
const failure = (p: Promise<unknown>) =>
  p.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as FirmwareError);
const body = (path: string): State => JSON.parse(readFileSync(path, 'utf8').split('\n').slice(2).join('\n')) as State;
/** A hand edit with a fresh checksum: what the store's SHA-256 line cannot catch. */
const rewrite = (path: string, edit: (s: State & Record<string, unknown>) => void) => {
  const s = body(path) as State & Record<string, unknown>;
  edit(s);
  writeFileSync(path, encode(s), { mode: 0o600 });
};
const idTlv = (id: string) => { const b = Buffer.from(id, 'utf8'); return `71 ${x(Uint8Array.of(b.length))} ${x(b)}`; };
const put = (id: string) => {
  const data = h(`${idTlv(id)} 73 16 21 06 ${SEED}`);
  return `00 01 00 00 ${x(Uint8Array.of(data.length))} ${x(data)}`;
};
const rename = (from: string, to: string) => {
  const data = h(`${idTlv(from)} ${idTlv(to)}`);
  return `00 05 00 00 ${x(Uint8Array.of(data.length))} ${x(data)}`;
};

const HOSTILE: [string, string][] = [
  ['ESC (clears the screen)', 'a\x1b[2Jb'], ['LF (a fake row)', 'a\nfake  123456'], ['NUL', 'a\0b'], ['DEL', 'a\x7fb'],
  ['C1 CSI U+009B', 'a\u009b2Jb'], ['U+202E right-to-left override', 'moc.live\u202e:alice'],
  ['U+2066 isolate', 'a\u2066b'],
  ['U+200F mark', 'a\u200fb'], ['U+061C Arabic letter mark', 'a\u061cb'], ['U+2028 line separator', 'a\u2028b'],
];

const S = suite('firmware hardening');
let f: Fresh;
S.before.each(async () => { f = await fresh(); assert.is(await tx(f.dev, put('keep')), '9000'); });
S.after.each(async () => { await f.done(); });

S('the id rule names each hostile character and passes ordinary Unicode', () => {
  for (const [what, id] of HOSTILE) assert.ok(idProblem(id), what);
  assert.is(idProblem('a\x1bb'), 'U+001B, a control character');
  assert.is(idProblem('x\u202ey'), 'U+202E, a bidi control');
  for (const ok of ['GitHub:alice', 'Ünïcödé:名前', '60/Slow:bob', 'a b', 'emoji 🙂']) assert.is(idProblem(ok), null, ok);
  assert.is(printableId('a\x1b[2J\u202eb\n'), 'a\\x1b[2J\\u202eb\\x0a');
});

S('PUT and RENAME refuse every hostile id with 6A80, and store nothing', async () => {
  for (const [what, id] of HOSTILE) {
    assert.is(await tx(f.dev, put(id)), '6A80', `PUT ${what}`);
    assert.is(await tx(f.dev, rename('keep', id)), '6A80', `RENAME to ${what}`);
  }
  assert.equal(body(f.path).credentials.map((c) => c.id), ['keep']);
});

S('RENAME to a taken id is 6A80, the credential\'s own id included', async () => {
  assert.is(await tx(f.dev, put('other')), '9000');
  assert.is(await tx(f.dev, rename('keep', 'keep')), '6A80', 'its own id');
  assert.is(await tx(f.dev, rename('keep', 'other')), '6A80', 'another credential\'s id');
  assert.is(await tx(f.dev, rename('none', 'keep')), '6984', 'an unknown source still says so first');
  assert.is(await tx(f.dev, rename('keep', 'fresh')), '9000');
});

for (const [name, edit, field] of [
  ['an id with ESC', (s: State) => { s.credentials[0]!.id = 'a\x1b[2J'; },
    /credentials\[0\]\.id 'a\\x1b\[2J' \(U\+001B, a control character\)/],
  ['an id with U+202E', (s: State) => { s.credentials[0]!.id = 'x\u202ey'; }, /U\+202E, a bidi control/],
  ['two credentials of one id', (s: State) => { s.credentials.push({ ...s.credentials[0]! }); },
    /credentials\[1\]\.id 'keep' \(a second credential of that id\)/],
  ['an empty secret', (s: State) => { s.credentials[0]!.secret = 'p:'; }, /credentials\[0\]\.secret \(its length\)/],
  ['a 1-byte secret', (s: State) => { s.credentials[0]!.secret = 'p:AA=='; }, /secret \(its length\)/],
  ['driftPpm 1e300', (s: State) => { s.identity.driftPpm = 1e300; }, /identity\.driftPpm/],
  ['a __proto__ field', (s: State & Record<string, unknown>) => {
    Object.defineProperty(s, '__proto__', { value: { x: 1 }, enumerable: true });
  }, /unknown field "__proto__"/],
  ['an unknown field', (s: State & Record<string, unknown>) => { s.extra = 1; }, /unknown field "extra"/],
  ['a period that disagrees with the id', (s: State) => { s.credentials[0]!.period = 60; }, /credentials\[0\]\.period/],
  ['a TOTP counter', (s: State) => { s.credentials[0]!.counter = 5; }, /credentials\[0\]\.counter/],
  ['retries 3 with no code set', (s: State) => { s.access.retries = 3; }, /access\.retries/],
  ['a sealed secret without a code', (s: State) => {
    s.credentials[0]!.secret = 'g:' + Buffer.alloc(48).toString('base64');
  }, /secret \(its form\)/],
  ['a serial with a space', (s: State) => { s.identity.serial = 'A B'; }, /identity\.serial/],
  ['a scrypt cost of 2^30', (s: State) => {
    s.access.kcv = '00'.repeat(16); s.access.kdf = { N: 2 ** 30, r: 8, p: 1 }; s.credentials = [];
  }, /access\.kdf/],
  ['a negative generation', (s: State) => { s.generation = -1; }, /generation/],
] as const) {
  S(`a hand-edited store with a fresh checksum and ${name} is refused as E_STORE_INVALID, ` +
    'naming the field', async () => {
    rewrite(f.path, edit as (s: State & Record<string, unknown>) => void);
    const e = await failure(boot({ path: f.path, now: f.clock.now }));
    assert.instance(e, FirmwareError);
    assert.is(e.code, 'E_STORE_INVALID');
    assert.match(e.message, field);
    assert.not.match(e.message, '12345678901234567890', 'no secret in the message');
    assert.is(await tx(f.dev, '00 A1 00 00 00'), '6F00', 'the running device answers nothing from it either');
  });
}

async function setCode(d: Fresh['dev'], code: string): Promise<Buffer> {
  const sel = await tx(d, SELECT);
  const K = pbkdf2Sync(code, Buffer.from(sel.slice(14, 30), 'hex'), 1000, 16, 'sha1');
  const c = Buffer.alloc(8, 3);
  assert.is(await tx(d, `00 03 00 00 33 73 11 21 ${x(K)} 74 08 ${x(c)} ` +
    `75 14 ${x(createHmac('sha1', K).update(c).digest())}`), '9000');
  return K;
}

S('a new code is sealed at N=2^17 and says so in the store; a store sealed at the old cost opens ' +
  'and is re-sealed', async () => {
  await setCode(f.dev, 'correct horse');
  assert.equal(body(f.path).access.kdf, { N: 2 ** 17, r: 8, p: 1 });
  // The store as the earlier firmware left it: scrypt N=2^15, no kdf field.
  const s = body(f.path);
  const K = pbkdf2Sync('correct horse', Buffer.from(s.salt, 'hex'), 1000, 16, 'sha1');
  const sealSalt = Buffer.alloc(16, 7);
  const old = await deriveSealKey(K, sealSalt, LEGACY_KDF);
  const raw = Buffer.alloc(20); Buffer.from('12345678901234567890').copy(raw);
  rewrite(f.path, (t) => {
    t.access = { kcv: old.kcv, sealSalt: sealSalt.toString('hex'), retries: 8 };
    t.credentials[0]!.secret = sealSecret(raw, old);
  });
  const d = await boot({ path: f.path, now: f.clock.now, accessCode: 'correct horse' });
  const after = body(f.path);
  assert.equal(after.access.kdf, { N: 2 ** 17, r: 8, p: 1 }, 're-sealed at today\'s cost');
  assert.is.not(after.access.kcv, old.kcv);
  assert.is(after.access.retries, 8);
  const frames = await d.panel.display('keep');
  assert.is(frames[0]!.code!.length, 6, 'the seed still opens');
  await d.close();
  assert.is((await failure(boot({ path: f.path, now: f.clock.now, accessCode: 'wrong' }))).triesLeft, 7);
});

S('the counter found at 0 with a code set (the last try spent, never judged) wipes at power-on', async () => {
  await setCode(f.dev, 'correct horse');
  rewrite(f.path, (s) => { s.access.retries = 0; });
  const e = await failure(boot({ path: f.path, now: f.clock.now, accessCode: 'correct horse' }));
  assert.is(e.code, 'E_WIPED');
  assert.match(e.message, 'never proven right');
  const d = await boot({ path: f.path, now: f.clock.now });
  assert.equal({ ...(await info(d)), tags: null }, { count: 0, codeSet: false, retries: 8, tags: null });
  await d.close();
});

S('a wrong code is spent on disk before it is judged: the store says 7 while the code is still ' +
  'being derived', async () => {
  await setCode(f.dev, 'correct horse');
  const seen: number[] = [];
  // The store is read back while scrypt runs (it takes a tenth of a second or more).
  const p = boot({ path: f.path, now: f.clock.now, accessCode: 'wrong guess' }).catch((e: FirmwareError) => e);
  for (let i = 0; i < 400 && seen.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 5));
    const r = body(f.path).access.retries;
    if (r < 8) seen.push(r);
  }
  const e = await p as FirmwareError;
  assert.is(e.code, 'E_ACCESS');
  assert.equal(seen.slice(0, 1), [7], 'the decrement was on disk before the answer');
});

S('rollback: with a record directory, a store copied back over a newer one is E_ROLLBACK, ' +
  'and deleting the record accepts it', async () => {
  const records = join(f.dir, 'state', 'generations');
  const d1 = await boot({ path: f.path, now: f.clock.now, records });
  assert.is(await tx(d1, put('second')), '9000');
  const backup = join(f.dir, 'backup.dev');
  copyFileSync(f.path, backup);
  assert.is(await tx(d1, put('third')), '9000');
  await d1.close();
  copyFileSync(backup, f.path);
  const e = await failure(boot({ path: f.path, now: f.clock.now, records }));
  assert.is(e.code, 'E_ROLLBACK');
  const rec = readdirSync(records);
  assert.is(rec.length, 1);
  assert.match(e.message, join(records, rec[0]!));
  assert.match(e.message, /generation \d+, the record says \d+/);
  rmSync(join(records, rec[0]!));
  const d2 = await boot({ path: f.path, now: f.clock.now, records });
  assert.equal(body(f.path).credentials.map((c) => c.id), ['keep', 'second']);
  await d2.close();
});

S('rollback: a writer that replaces the store and raises its record between our two reads is no rollback', async () => {
  const records = join(f.dir, 'state', 'generations');
  const d1 = await boot({ path: f.path, now: f.clock.now, records });
  assert.is(await tx(d1, put('second')), '9000');
  await d1.close();
  const rec = join(records, readdirSync(records)[0]!);
  const newer = { ...body(f.path), generation: (body(f.path).generation ?? 0) + 1 };
  // Another process's whole commit lands right after our read of the store, before our read of the record.
  const { readFileSync: real } = fs;
  let raced = false;
  fs.readFileSync = ((p: string, o?: unknown) => {
    if (p === rec && !raced) {
      raced = true;
      writeFileSync(f.path, encode(newer), { mode: 0o600 });
      writeFileSync(rec, `${newer.generation}\n`);
    }
    return real(p as never, o as never);
  }) as typeof fs.readFileSync;
  syncBuiltinESMExports();
  try {
    const d2 = await boot({ path: f.path, now: f.clock.now, records });
    await d2.close();
  } finally { fs.readFileSync = real; syncBuiltinESMExports(); }
  assert.ok(raced, 'the race was staged');
  // A copy put back stays a rollback however often it is read.
  writeFileSync(rec, `${newer.generation! + 5}\n`);
  assert.is((await failure(boot({ path: f.path, now: f.clock.now, records }))).code, 'E_ROLLBACK');
});

S('rollback: a store made before generations existed is tracked by serial and manufacture time', async () => {
  rewrite(f.path, (s) => { delete s.identity.uid; delete s.generation; });
  const records = join(f.dir, 'rec');
  mkdirSync(records);
  const old = readFileSync(f.path);
  const d = await boot({ path: f.path, now: f.clock.now, records });
  assert.is(await tx(d, put('more')), '9000');
  await d.close();
  writeFileSync(f.path, old, { mode: 0o600 });
  assert.is((await failure(boot({ path: f.path, now: f.clock.now, records }))).code, 'E_ROLLBACK');
});

S.run();
