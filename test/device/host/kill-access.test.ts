// The 8-try counter under kill -9, through the real `token` process and its real files. strace
// stops the process with SIGKILL exactly at the Nth fsync, rename or unlink (one libuv thread, so
// the Nth is the same step every run): every durable step of a wrong guess is a kill point.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { has, oracle, run, TOKEN } from '../../helpers.js';
import { box, type Box } from './util.js';

const RIGHT = 'right-code-1';
const straced = (b: Box, o: string[], out: string, code: string) =>
  run('strace', ['-f', '-qq', '-o', out, ...o, process.execPath, TOKEN, 'list'], {
    env: { ...b.env, TOKEN_ACCESS_CODE: code, UV_THREADPOOL_SIZE: '1' }, timeoutMs: 120_000,
  });
/** Tries left, or 'wiped' once the code and the credentials are gone. */
function retries(b: Box): number | 'wiped' {
  const s = JSON.parse(readFileSync(b.device, 'utf8').split('\n').slice(2).join('\n')) as
    { access: { kcv: string | null; retries: number }; credentials: unknown[] };
  return s.access.kcv === null ? (s.credentials.length === 0 ? 'wiped' : 8) : s.access.retries;
}
/** The durable steps, in order: files created, renamed, unlinked, and fsyncs (temp names made alike). */
const steps = (trace: string, dir: string): string[] => trace.split('\n')
  .filter((l) => /\b(fsync|rename|unlink)\(/.test(l) ||
    (/\bopenat\(/.test(l) && l.includes(dir) && (l.includes('O_CREAT') || !/\.(dev|gen)"/.test(l))))
  .map((l) => l.replace(/^\d+ +/, '').replace(/\.tmp-\d+-\d+-[0-9a-f]+/g, '.tmp-*').replace(/\(\d+\)/, '(fd)')
    .replace(/ += .*$/, '').replaceAll(dir, '<dir>'));

async function lockedToken(): Promise<Box> {
  const b = box();
  assert.is((await b.token(['enroll', '--secret', 'JBSWY3DPEHPK3PXP', '--name', 'x'])).code, 0);
  assert.is((await b.token(['access', 'set'], { env: { TOKEN_ACCESS_CODE: RIGHT } })).code, 0);
  return b;
}

test('a right and a wrong code take the same durable steps until the spent try is on disk: ' +
  'nothing tells them apart before', async () => {
  if (!oracle('strace', has('strace', ['-V']))) return;
  const b = await lockedToken();
  try {
    const t = join(b.dir, 'trace');
    const only = ['-e', 'trace=openat,fsync,rename,unlink'];
    assert.is((await straced(b, only, t, RIGHT)).code, 0);
    const right = steps(readFileSync(t, 'utf8'), b.dir);
    assert.is((await straced(b, only, t, 'wrong-guess')).code, 1);
    const wrong = steps(readFileSync(t, 'utf8'), b.dir);
    let same = 0;
    while (same < wrong.length && wrong[same] === right[same]) same++;
    const spent = wrong.findIndex((s) => s.startsWith('rename(') && s.includes(', "<dir>/token.dev")'));
    assert.ok(spent >= 0, `the wrong guess writes the store: ${wrong.join(' | ')}`);
    // The store's rename, then the directory's fsync that makes it durable, are common to both.
    assert.ok(same > spent + 1, `right and wrong differ at step ${same} (${right[same]} vs ${wrong[same]}), ` +
      `before the spent try is durable (rename at ${spent})`);
    assert.is(retries(b), 7);
  } finally { b.done(); }
});

test('kill -9 at every durable step of wrong guesses, round after round: no try ever comes back', async () => {
  if (!oracle('strace', has('strace', ['-V']))) return;
  const b = await lockedToken();
  try {
    // Kill points: the fsyncs (temp store, its directory, temp record, its directory), both renames
    // (store, record), the lock's unlink; and a run nobody kills.
    const points: [string, number][] = [['fsync', 1], ['fsync', 2], ['rename', 1], ['fsync', 3], ['rename', 2],
      ['fsync', 4], ['unlink', 1], ['none', 0]];
    const hit = new Map<string, number>();
    let kills = 0, guesses = 0, answered = 0, paid = 0, mostAnswered = 0;
    // Three times from 8 tries down to 2, then the right code refills them, as its owner would (the
    // CLI keeps the last try for a person at a terminal, so a script stops short of it).
    for (let cycle = 0; cycle < 3; cycle++) {
    let before = retries(b) as number, answeredNow = 0;
    assert.is(before, 8);
    for (let round = 0; before > 2 && round < 20; round++) {
      for (const [name, n] of points) {
        if (before <= 2) break;
        const out = join(b.dir, 'kill.trace');
        const inject = name === 'none' ? [] : ['-e', `trace=${name}`, '-e', `inject=${name}:signal=KILL:when=${n}`];
        const r = await straced(b, inject, out, `wrong-${round}-${name}${n}`);
        guesses++;
        const after = retries(b);
        assert.type(after, 'number', 'no wipe before the last try');
        if (r.code === 137 || r.code === 128) {
          kills++; hit.set(`${name}#${n}`, (hit.get(`${name}#${n}`) ?? 0) + 1);
        } else {
          assert.is(r.code, 1, r.stderr);
          assert.match(r.stderr, /wrong access code: \d tr(y|ies) left/);
          answered++; answeredNow++;
          // An answered guess was judged, so it must have been paid for.
          assert.is(after, before - 1, `an answered guess at ${before} left ${after}`);
        }
        assert.ok(after === before || after === before - 1,
          `round ${round}, kill at ${name}#${n}: tries went from ${before} to ${after}`);
        if ((after as number) < before) paid++;
        before = after as number;
      }
    }
    assert.ok(answeredNow <= 6, `${answeredNow} wrong guesses were answered while 6 tries were spent`);
    mostAnswered = Math.max(mostAnswered, answeredNow);
    // The last try is a person's: the right code, which refills the counter.
    assert.is((await b.token(['list'], { env: { TOKEN_ACCESS_CODE: RIGHT } })).code, 0);
    }
    process.stderr.write(`kill-access: ${kills} kills in ${guesses} wrong guesses, ${answered} answered ` +
      `(at most ${mostAnswered} per 8 tries), ${paid} tries paid, none gained; ` +
      `points hit: ${[...hit].map(([k, v]) => `${k}×${v}`).join(' ')}\n`);
    assert.is(paid, 18, 'every try from 8 down to 2 was paid for, three times');
    for (const [name, n] of points.slice(0, -1)) {
      assert.ok((hit.get(`${name}#${n}`) ?? 0) >= 1, `kill point ${name}#${n} was hit`);
    }
    assert.ok(kills >= 24, `${kills} kills`);
  } finally { b.done(); }
});

test.run();
