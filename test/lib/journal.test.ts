// The local endpoint's (and the mapping's) store: a snapshot plus a journal of changed records.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { appendFileSync, chmodSync, readdirSync, readFileSync, statSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rng } from '../device/core/rng.js';
import { tempDir } from '../helpers.js';
import { Journaled, JournalError, journalPath, recordKey } from '../../lib/journal.js';

type Doc = { version: number; owner: string; users: Record<string, { n: number }> };
const parse = (t: string) => JSON.parse(t) as Doc;
const J = suite('snapshot + journal');

const open = (path: string) => new Journaled<Doc>(path, ['users']);
function fresh() {
  const t = tempDir('journal-');
  const path = join(t.dir, 'doc.json');
  return { t, path, jp: journalPath(path) };
}
/** A fresh pair with an empty document committed (its snapshot written). */
async function started() {
  const x = fresh();
  const f = open(x.path);
  const doc: Doc = { version: 1, owner: 'a', users: {} };
  await f.commit(doc);
  return { ...x, f, doc };
}

J('the first commit writes a snapshot; later ones append only the records that changed, one line each', async () => {
  const { t, path, jp } = fresh();
  try {
    const f = open(path);
    assert.is(f.load(parse), null);
    const doc: Doc = { version: 1, owner: 'a', users: { alice: { n: 1 }, bob: { n: 1 } } };
    await f.commit(doc);
    assert.equal(parse(readFileSync(path, 'utf8')), doc);
    doc.users.alice!.n = 2;
    delete doc.users.bob;
    doc.users.carol = { n: 3 };
    await f.commit(doc);
    await f.commit(doc); // nothing changed: nothing written
    doc.owner = 'b';
    await f.commit(doc);
    assert.equal(readFileSync(jp, 'utf8').split('\n'), [
      '[["users","alice",{"n":2}],["users","carol",{"n":3}],["users","bob"]]', '[["owner","b"]]', '']);
    assert.is(statSync(jp).mode & 0o777, 0o600);
    assert.equal(open(path).load(parse), doc, 'another reader replays it');
  } finally { t.done(); }
});

J('a torn last line (a crash mid-append) is ignored, then cut off before the next append', async () => {
  const { t, path, jp, f, doc } = await started();
  try {
    doc.users.x = { n: 1 };
    await f.commit(doc);
    appendFileSync(jp, '[["users","y",{"n"');
    const g = open(path);
    const back = g.load(parse)!;
    assert.equal(back.users, { x: { n: 1 } }, 'the unacknowledged line never happened');
    back.users.z = { n: 9 };
    await g.commit(back);
    assert.equal(open(path).load(parse)!.users, { x: { n: 1 }, z: { n: 9 } });
    assert.not.match(readFileSync(jp, 'utf8'), /"y"/);
  } finally { t.done(); }
});

J('touched: only the named records are serialized again; deletions and new records are found without it', async () => {
  const { t, path, jp, f, doc } = await started();
  try {
    doc.users = { alice: { n: 1 }, bob: { n: 1 } };
    await f.commit(doc);
    const at = readFileSync(jp, 'utf8').length;
    doc.users.alice = { n: 2 };
    doc.users.bob!.n = 9; // edited in place and not named: taken as unchanged (the caller's contract)
    doc.users.carol = { n: 3 };
    await f.commit(doc, new Set([recordKey('users', 'alice')]));
    assert.equal(JSON.parse(readFileSync(jp, 'utf8').slice(at)),
      [['users', 'alice', { n: 2 }], ['users', 'carol', { n: 3 }]]);
    delete doc.users.alice;
    await f.commit(doc, new Set());
    const loaded = open(path).load(parse)!;
    assert.equal(loaded.users, { bob: { n: 1 }, carol: { n: 3 } }, 'alice deleted, bob as last named');
    await f.commit(doc, new Set([recordKey('users', 'bob')]));
    assert.equal(open(path).load(parse)!.users, { bob: { n: 9 }, carol: { n: 3 } });
  } finally { t.done(); }
});

J('once the journal outgrows the snapshot, a new snapshot replaces both; ' +
  'a journal left behind replays to the same state', async () => {
  const { t, path, jp, f, doc } = await started();
  try {
    let snapshots = 0, last = statSync(path).ino;
    for (let i = 0; i < 3000; i++) {
      doc.users[`u${i % 50}`] = { n: i };
      await f.commit(doc);
      const ino = statSync(path).ino;
      if (ino !== last) { snapshots++; last = ino; }
    }
    assert.ok(snapshots >= 1 && snapshots < 10, `${snapshots} snapshots for 3000 commits`);
    assert.ok(statSync(jp).size <= Math.max(64 << 10, statSync(path).size), 'the journal stays bounded');
    assert.equal(open(path).load(parse), doc);
    // A crash after the new snapshot and before the journal was emptied: the old lines replay to the same state.
    const old = readFileSync(jp, 'utf8');
    await f.commit({ ...doc, users: { ...doc.users, late: { n: 1 } } });
    writeFileSync(jp, old + readFileSync(jp, 'utf8'), { mode: 0o600 });
    assert.equal(open(path).load(parse)!.users.late, { n: 1 });
  } finally { t.done(); }
});

J('a damaged line in the middle, or a journal others can read, is refused, not repaired', async () => {
  const { t, path, jp, f, doc } = await started();
  try {
    doc.owner = 'b';
    await f.commit(doc);
    const good = readFileSync(jp, 'utf8');
    writeFileSync(jp, 'garbage\n' + good, { mode: 0o600 });
    try { open(path).load(parse); assert.unreachable(); } catch (e) {
      assert.instance(e, JournalError);
      assert.is((e as JournalError).code, 'E_CORRUPT');
      assert.match((e as Error).message, 'line 1 is damaged');
    }
    assert.is(readFileSync(jp, 'utf8'), 'garbage\n' + good, 'left as it was');
    writeFileSync(jp, good);
    chmodSync(jp, 0o644);
    try { open(path).load(parse); assert.unreachable(); } catch (e) {
      assert.is((e as JournalError).code, 'E_PERMS');
      assert.match((e as Error).message, `chmod 600 ${jp}`);
    }
  } finally { t.done(); }
});

const KILL_ROUNDS = 8, MIN_MID_SNAPSHOT = KILL_ROUNDS / 2;

J(`kill -9 the instant a snapshot's temp file appears (${KILL_ROUNDS} rounds): ` +
  'the document loads as of the last acknowledged commit or the next', async () => {
  const R = rng();
  let midSnapshot = 0;
  const acks: number[] = [];
  for (let round = 0; round < KILL_ROUNDS; round++) {
    const { t, path } = fresh();
    try {
      const arm = R.range(20, 300);
      const child = spawn(process.execPath,
        ['--import', 'tsx', new URL('./journal-writer.ts', import.meta.url).pathname, path], {
        env: { ...process.env, TOTP_FOB_JOURNAL_BYTES: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '', err = '';
      const acked = () => (out.match(/^ok /gm) ?? []).length;
      const w = watch(t.dir, (_e, name) => {
        if (name?.startsWith('doc.json.tmp-') && acked() >= arm) child.kill('SIGKILL');
      });
      child.stdout.on('data', (b) => (out += b));
      child.stderr.on('data', (b) => (err += b));
      const closed = new Promise((r) => child.on('close', r));
      const signal = await new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
      w.close();
      if (readdirSync(t.dir).some((n) => n.startsWith('doc.json.tmp-'))) midSnapshot++;
      await closed;
      assert.is(signal, 'SIGKILL', `the writer died by the kill: ${err}`);
      const n = acked();
      acks.push(n);
      const users = Object.keys(open(path).load(parse)!.users).length;
      assert.ok(users === n || users === n + 1,
        `round ${round} (seed ${R.seed}): ${users} users after ${n} acknowledged commits`);
    } finally { t.done(); }
  }
  const report = `journal kills (seed ${R.seed}): ${midSnapshot} of ${KILL_ROUNDS} mid-snapshot ` +
    `(floor ${MIN_MID_SNAPSHOT}); acknowledged commits ${acks.join(', ')}`;
  process.stderr.write(`${report}\n`);
  assert.ok(midSnapshot >= MIN_MID_SNAPSHOT, report);
});

J.run();
