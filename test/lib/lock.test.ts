// The house's one lock (the store's writers take it): O_EXCL, pid + start time, taken over only from the dead.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquire, acquireSync, LockBusyError, lockHolder, withLock } from '../../lib/lock.js';
import { tempDir } from '../helpers.js';

const startOf = (pid: number) => {
  const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return s.slice(s.lastIndexOf(')') + 2).split(' ')[19]!;
};

const S = suite('store lock');
let t: ReturnType<typeof tempDir>, store: string, lock: string;
S.before.each(() => { t = tempDir('fw-lock-'); store = join(t.dir, 'token.dev'); lock = `${store}.lock`; });
const line = (pid: number) => `${JSON.stringify({ pid, start: startOf(pid) })}\n`;
S.after.each(() => t.done());

S('holds the pid and its start time, and is gone after release', async () => {
  const l = await acquire(lock);
  assert.is(readFileSync(lock, 'utf8'), line(process.pid));
  assert.ok(l.held());
  await l.release();
  assert.not.ok(existsSync(lock));
});

// "At once" is checked by outcome, not by a stopwatch: a lock that is not judged stale is waited on
// until acquire()'s limit, so a short limit fails a wrong verdict however busy the machine is
// (the limit only runs out on a wait; a takeover is a few file operations).
const SHORT = 10_000;

S('a lock of a dead process is taken over at once', async () => {
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  writeFileSync(lock, `${Number(dead.stdout)} 12345\n`);
  const l = await acquire(lock, { timeoutMs: SHORT });
  assert.ok(l.tookOver, 'the dead holder\'s lock was broken');
  await l.release();
});

S('a broken lock is told to the next holder, even when its breaker never gets its turn', async () => {
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  writeFileSync(lock, `${Number(dead.stdout)} 12345\n`);
  const first = acquireSync(lock);
  assert.ok(first.tookOver);
  assert.not.ok(existsSync(`${lock}.broken`), 'the breaker that won took its own mark in');
  first.releaseSync();
  // What a breaker that lost the race (or died after breaking) leaves: the mark alone.
  writeFileSync(`${lock}.broken`, '');
  const next = await acquire(lock, { timeoutMs: SHORT });
  assert.ok(next.tookOver, 'whoever holds the lock next sweeps');
  assert.not.ok(existsSync(`${lock}.broken`));
  await next.release();
  const after = await acquire(lock, { timeoutMs: SHORT });
  assert.not.ok(after.tookOver, 'told once');
  await after.release();
});

S('a reused pid (alive, but another start time) is taken over', async () => {
  writeFileSync(lock, `${process.pid} 1\n`);
  const l = await acquire(lock, { timeoutMs: SHORT });
  assert.ok(l.tookOver);
  await l.release();
});

S('a live holder\'s lock is not taken over: acquire gives up at its limit (E_BUSY)', async () => {
  writeFileSync(lock, `${process.pid} ${startOf(process.pid)}\n`);
  try { await acquire(lock, { timeoutMs: 300 }); assert.unreachable('a live lock was taken'); } catch (e) {
    assert.not.instance(e, assert.Assertion);
    assert.is((e as { code?: string }).code, 'E_BUSY');
  }
  assert.is(readFileSync(lock, 'utf8'), `${process.pid} ${startOf(process.pid)}\n`, 'left in place');
});

S('a live holder is waited for, with backoff, and then the lock passes on', async () => {
  const first = await acquire(lock);
  const order: string[] = [];
  const second = withLock(lock, () => { order.push('second'); });
  await new Promise((r) => setTimeout(r, 150));
  order.push('first releases');
  await first.release();
  await second;
  assert.equal(order, ['first releases', 'second']);
});

S('an empty lock (a holder between open and write) is waited for, and taken over when old', async () => {
  writeFileSync(lock, '');
  const old = (Date.now() - 5000) / 1000;
  utimesSync(lock, old, old);
  const l = await acquire(lock, { timeoutMs: SHORT });
  assert.ok(l.tookOver, 'an old empty lock is stale');
  await l.release();
  writeFileSync(lock, '');
  const t1 = Date.now();
  await withLock(lock, () => undefined);
  assert.ok(Date.now() - t1 >= 1900, 'a fresh empty lock is given 2 s to be written');
});

S('acquireSync refuses a live holder at once, naming its pid and role, and leaves its lock', () => {
  writeFileSync(lock, JSON.stringify({ pid: process.pid, start: startOf(process.pid), role: 'local-aws' }));
  try { acquireSync(lock); assert.unreachable('a live lock was taken'); } catch (e) {
    assert.instance(e, LockBusyError);
    assert.is((e as LockBusyError).code, 'E_BUSY');
    assert.equal((e as LockBusyError).holder, { pid: process.pid, start: startOf(process.pid), role: 'local-aws' });
  }
  assert.equal(lockHolder(lock), { pid: process.pid, start: startOf(process.pid), role: 'local-aws' });
});

S('acquireSync takes a dead holder\'s lock over, writes its role, and releases at once', () => {
  const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  writeFileSync(lock, JSON.stringify({ pid: Number(dead.stdout), started: '1', role: 'provision --local' }));
  assert.is(lockHolder(lock), null, 'a dead holder is no holder');
  const l = acquireSync(lock, { role: 'token attach' });
  assert.ok(l.tookOver);
  assert.is(readFileSync(lock, 'utf8'),
    `${JSON.stringify({ pid: process.pid, start: startOf(process.pid), role: 'token attach' })}\n`);
  l.releaseSync();
  assert.not.ok(existsSync(lock));
});

S.run();
