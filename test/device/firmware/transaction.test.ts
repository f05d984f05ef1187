// The vendor TRANSACTION (80 15): PUTs and DELETEs staged in RAM, written in one store write at
// COMMIT or not at all; a refusal, a power-off, a SELECT or another writer leaves the flash as it was.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { boot } from '../../../device/firmware/index.js';
import { readStore } from '../../../device/firmware/store.js';
import { fresh, h, info, tx, type Fresh } from './util.js';

const BEGIN = '80 15 00 00', COMMIT = '80 15 01 00', ABORT = '80 15 02 00';
const SEED = '"12345678901234567890"';
/** PUT of a TOTP SHA-1 credential named `name` (ASCII). */
const put = (name: string) => {
  const n = Buffer.from(name), body = `71 ${n.length.toString(16).padStart(2, '0')} "${name}" 73 16 21 06 ${SEED}`;
  return `00 01 00 00 ${(h(body).length).toString(16).padStart(2, '0')} ${body}`;
};
const del = (name: string) => `00 02 00 00 ${(name.length + 2).toString(16).padStart(2, '0')} 71 ${name.length.toString(16).padStart(2, '0')} "${name}"`;
const ids = (f: Fresh) => readStore(f.path).credentials.map((c) => c.id);

const T = suite('a vendor TRANSACTION writes its PUTs and DELETEs together, or none');
let f: Fresh;
T.before.each(async () => {
  f = await fresh();
  assert.is(await tx(f.dev, put('keep')), '9000');
});
T.after.each(async () => { await f.done(); });

T('five PUTs and a DELETE: nothing on flash until COMMIT, then all of it in one write', async () => {
  const before = readFileSync(f.path), gen = readStore(f.path).generation ?? 0;
  assert.is(await tx(f.dev, BEGIN), '9000');
  for (const n of ['a', 'b', 'c', 'd', 'e']) assert.is(await tx(f.dev, put(n)), '9000', n);
  assert.is(await tx(f.dev, del('keep')), '9000');
  assert.ok(readFileSync(f.path).equals(before), 'the store file is byte for byte as before COMMIT');
  assert.is(await tx(f.dev, COMMIT), '9000');
  assert.equal(ids(f), ['a', 'b', 'c', 'd', 'e']);
  assert.is(readStore(f.path).generation, gen + 1, 'one store write');
});

T('a refused PUT (a malformed 3rd) answers its own SW and stages nothing; ABORT leaves the store as it was', async () => {
  const before = readFileSync(f.path);
  assert.is(await tx(f.dev, BEGIN), '9000');
  assert.is(await tx(f.dev, put('a')), '9000');
  assert.is(await tx(f.dev, put('b')), '9000');
  assert.is(await tx(f.dev, '00 01 00 00 0B 71 01 "c" 73 06 21 09 01 02 03 04'), '6A80', '9 digits');
  assert.is(await tx(f.dev, ABORT), '9000');
  assert.is(await tx(f.dev, COMMIT), '6985', 'nothing left to commit');
  assert.ok(readFileSync(f.path).equals(before));
});

T('staged PUTs count against the capacity: the 64th credential fits, the 65th is 6A84 at its PUT', async () => {
  assert.is(await tx(f.dev, BEGIN), '9000');
  for (let i = 0; i < 63; i++) assert.is(await tx(f.dev, put(`c${i}`)), '9000', `c${i}`);
  assert.is(await tx(f.dev, put('one-too-many')), '6A84');
  assert.is(await tx(f.dev, del('nothing')), '6984', 'a DELETE of an id not there, staged or stored');
  assert.is(await tx(f.dev, COMMIT), '9000');
  assert.is((await info(f.dev)).count, 64);
});

T('power-off before COMMIT forgets the staged work (the next boot has no transaction either)', async () => {
  const before = readFileSync(f.path);
  assert.is(await tx(f.dev, BEGIN), '9000');
  assert.is(await tx(f.dev, put('lost')), '9000');
  await f.dev.close();
  assert.ok(readFileSync(f.path).equals(before));
  f.dev = await boot({ path: f.path, now: f.clock.now, sleep: f.clock.sleep });
  assert.is(await tx(f.dev, COMMIT), '6985');
  assert.equal(ids(f), ['keep']);
});

T('SELECT ends the session and the transaction with it', async () => {
  assert.is(await tx(f.dev, BEGIN), '9000');
  assert.is(await tx(f.dev, put('x')), '9000');
  assert.is((await tx(f.dev, '00 A4 04 00 07 A0 00 00 05 27 21 01')).slice(-4), '9000');
  assert.is(await tx(f.dev, COMMIT), '6985');
  assert.equal(ids(f), ['keep']);
});

T('another write between BEGIN and COMMIT (another host, another power-on) voids the COMMIT: 6985, nothing written', async () => {
  assert.is(await tx(f.dev, BEGIN), '9000');
  assert.is(await tx(f.dev, put('mine')), '9000');
  const other = await boot({ path: f.path, now: f.clock.now, sleep: f.clock.sleep });
  assert.is(await tx(other, put('theirs')), '9000');
  await other.close();
  assert.is(await tx(f.dev, COMMIT), '6985');
  assert.equal(ids(f), ['keep', 'theirs']);
});

T('BEGIN twice is 6985; bad P1/P2 is 6B00; data is 6700; ABORT with none open is fine', async () => {
  assert.is(await tx(f.dev, BEGIN), '9000');
  assert.is(await tx(f.dev, BEGIN), '6985');
  assert.is(await tx(f.dev, '80 15 03 00'), '6B00');
  assert.is(await tx(f.dev, '80 15 00 01'), '6B00');
  assert.is(await tx(f.dev, '80 15 01 00 01 00'), '6700');
  assert.is(await tx(f.dev, ABORT), '9000');
  assert.is(await tx(f.dev, ABORT), '9000');
});
T.run();
