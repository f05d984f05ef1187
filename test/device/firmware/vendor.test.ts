// The vendor applet in the device. CALCULATE ONCE: a TOTP code per step, handed out once (RFC 6238
// §5.2). LIST DETAILS. TRANSACTION (80 15): PUTs and DELETEs staged in RAM, written in one store write
// at COMMIT or not at all; a refusal, a power-off, a SELECT or another writer leaves the flash as it was.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { boot } from '../../../device/firmware/index.js';
import { readStore } from '../../../device/firmware/store.js';
import { fresh, h, info, tx, x, type Fresh } from './util.js';

const SEED = '"12345678901234567890"';
const once = (d: Parameters<typeof tx>[0], id: string, step: string, p1 = '00', p2 = '00') =>
  tx(d, `80 13 ${p1} ${p2} ${(2 + id.length + 10).toString(16).padStart(2, '0')} ` +
    `71 ${id.length.toString(16).padStart(2, '0')} "${id}" 74 08 ${step}`);

const S = suite('vendor CALCULATE ONCE');
let f: Fresh;
S.before.each(async () => {
  f = await fresh();
  await tx(f.dev, `00 01 00 00 1E 71 04 "sha1" 73 16 21 06 ${SEED}`);
  await tx(f.dev, `00 01 00 00 1E 71 04 "hotp" 73 16 11 06 ${SEED}`);
});
S.after.each(async () => { await f.done(); });

S('answers 76 05 digits DT for the given step, then refuses that step and every lower one', async () => {
  // RFC 4226 counters 1 and 2 (T=1, T=2 with the RFC seed): 41397eea, 082fef30.
  assert.is(await once(f.dev, 'sha1', '0000000000000001'), '76050641397EEA9000');
  assert.is(await once(f.dev, 'sha1', '0000000000000001'), '6985', 'the same step twice');
  assert.is(await once(f.dev, 'sha1', '0000000000000000'), '6985', 'a lower step');
  assert.is(await once(f.dev, 'sha1', '0000000000000002'), '760506082FEF309000');
  // The high water is in the store: another power-on (another process) refuses it too.
  const other = await boot({ path: f.path, now: f.clock.now });
  assert.is(await once(other, 'sha1', '0000000000000002'), '6985');
  await other.close();
});

S('P1=01 and a simulated host clock compute without raising the high water', async () => {
  assert.is(await once(f.dev, 'sha1', '0000000000000005', '01'), '760506' + '33C083D4' + '9000');
  assert.is(await once(f.dev, 'sha1', '0000000000000005', '01'), '76050633C083D49000', 'nothing was recorded');
  const sim = await boot({ path: f.path, now: f.clock.now, simulated: true });
  assert.is(await once(sim, 'sha1', '0000000000000005'), '76050633C083D49000');
  await sim.close();
  assert.is(await once(f.dev, 'sha1', '0000000000000005'), '76050633C083D49000', 'a real clock may still have step 5');
  assert.is(await once(f.dev, 'sha1', '0000000000000005', '01'), '6985', 'and now it is spent for everyone');
});

S('P2=01 answers the step and the next in one transaction, and spends both', async () => {
  // RFC 4226 Appendix D, counters 3 and 4: truncated 66ef7655 and 61c5938a.
  assert.is(await once(f.dev, 'sha1', '0000000000000003', '00', '01'), '76050666EF7655' + '76050661C5938A' + '9000');
  assert.is(await once(f.dev, 'sha1', '0000000000000004'), '6985', 'the second step is spent too');
  assert.is(await once(f.dev, 'sha1', '0000000000000005'), '76050633C083D49000', 'the step after the pair is free');
  assert.is(await once(f.dev, 'sha1', '0000000000000006', '00', '02'), '6B00', 'P2 above 01');
  assert.is(await once(f.dev, 'sha1', '001FFFFFFFFFFFFF', '00', '01'), '6A80', 'no step after 2^53-1');
});

S('HOTP, unknown ids and bad steps are refused', async () => {
  assert.is(await once(f.dev, 'hotp', '0000000000000001'), '6A80');
  assert.is(await once(f.dev, 'none', '0000000000000001'), '6984');
  assert.is(await tx(f.dev, '80 13 00 00 0F 71 04 "sha1" 74 07 00000000000001'), '6A80', 'a 7-byte step');
  assert.is(await tx(f.dev, '80 13 02 00 10 71 04 "sha1" 74 08 0000000000000001'), '6B00');
});

S.run();

const L = suite('vendor LIST DETAILS');
L('one 8A per credential, in LIST order: type/algorithm, digits, touch property, id ' +
  '(HOTP touch included)', async () => {
  const g = await fresh();
  try {
    await tx(g.dev, `00 01 00 00 1E 71 04 "sha1" 73 16 21 06 ${SEED}`);
    // HOTP, SHA-256, 8 digits, touch: CALCULATE ALL says only `77 01 08` for it.
    assert.is(await tx(g.dev, `00 01 00 00 21 71 05 "thotp" 73 16 12 08 ${SEED} 78 02`), '9000');
    assert.is(await tx(g.dev, '80 14 00 00 00'), x(h('8A 07 21 06 00 "sha1" 8A 08 12 08 02 "thotp" 90 00')));
    assert.is(await tx(g.dev, '80 14 01 00 00'), '6B00');
  } finally { await g.done(); }
});
L.run();

const BEGIN = '80 15 00 00', COMMIT = '80 15 01 00', ABORT = '80 15 02 00';
/** PUT of a TOTP SHA-1 credential named `name` (ASCII). */
const put = (name: string) => {
  const n = Buffer.from(name), body = `71 ${n.length.toString(16).padStart(2, '0')} "${name}" 73 16 21 06 ${SEED}`;
  return `00 01 00 00 ${(h(body).length).toString(16).padStart(2, '0')} ${body}`;
};
const del = (name: string) => `00 02 00 00 ${(name.length + 2).toString(16).padStart(2, '0')} ` +
  `71 ${name.length.toString(16).padStart(2, '0')} "${name}"`;
const ids = (f: Fresh) => readStore(f.path).credentials.map((c) => c.id);

const T = suite('a vendor TRANSACTION writes its PUTs and DELETEs together, or none');
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

T('a refused PUT (a malformed 3rd) answers its own SW and stages nothing; ABORT leaves the store ' +
  'as it was', async () => {
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

T('another write between BEGIN and COMMIT (another host, another power-on) voids the COMMIT: 6985, ' +
  'nothing written', async () => {
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
