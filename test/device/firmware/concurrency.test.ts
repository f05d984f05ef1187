// Two processes write the same store at once: the lock and the re-read under it mean
// neither loses the other's credentials. Both boot first and start on one signal, and the test
// counts the rounds whose writes truly interleaved in the store, failing below a floor.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { boot, manufacture } from '../../../device/firmware/index.js';
import { tempDir } from '../../helpers.js';
import { h, writerScript } from './util.js';

const ROUNDS = 20, MIN_INTERLEAVED = 3;

interface Writer { done: Promise<{ code: number | null; out: string; err: string }>; ready: Promise<void>; go(): void }
function put30(script: string, path: string, tag: string): Writer {
  const c = spawn(process.execPath, [script, path, 'put30', tag],
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, WRITER_WAIT_GO: '1' } });
  let out = '', err = '', onReady = () => {};
  const ready = new Promise<void>((r) => (onReady = r));
  c.stdout.on('data', (b) => { out += b; if (out.includes('ready\n')) onReady(); });
  c.stderr.on('data', (b) => (err += b));
  c.stdin.on('error', () => {});
  const done = new Promise<{ code: number | null; out: string; err: string }>((res) =>
    c.on('close', (code) => { onReady(); res({ code, out, err }); }));
  return { done, ready, go: () => c.stdin.end('go\n') };
}

/** The ids in store order, read through LIST and SEND REMAINING. */
async function listIds(path: string, now: () => number): Promise<string[]> {
  const dev = await boot({ path, now });
  try {
    const r = await dev.card.transmit(h('00 A1 00 00 00'));
    let list = Buffer.from(r.subarray(0, -2));
    let sw = Buffer.from(r.subarray(-2)).toString('hex');
    while (sw.startsWith('61')) {
      const more = await dev.card.transmit(h('00 A5 00 00 00'));
      list = Buffer.concat([list, more.subarray(0, -2)]);
      sw = Buffer.from(more.subarray(-2)).toString('hex');
    }
    assert.is(sw, '9000');
    const ids: string[] = [];
    for (let i = 0; i < list.length; i += 2 + list[i + 1]!) {
      ids.push(list.subarray(i + 3, i + 2 + list[i + 1]!).toString());
    }
    return ids;
  } finally { await dev.close(); }
}

test(`two processes each PUT 30 credentials at once, and all 60 are there (${ROUNDS} rounds, ` +
  `at least ${MIN_INTERLEAVED} interleaved)`, async () => {
  const t = tempDir('fw-conc-');
  try {
    const now = () => Date.now() / 1000;
    const script = await writerScript(t.dir);
    let interleaved = 0;
    const switches: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const path = join(t.dir, `token${round}.dev`);
      await manufacture(path, { now });
      const ws = [put30(script, path, 'alice'), put30(script, path, 'bob')];
      await Promise.all(ws.map((w) => w.ready));
      for (const w of ws) w.go();
      for (const r of await Promise.all(ws.map((w) => w.done))) {
        assert.is(r.code, 0, r.err);
        assert.is((r.out.match(/^ok /gm) ?? []).length, 30);
      }
      const ids = await listIds(path, now);
      assert.is(ids.length, 60);
      for (const tag of ['alice', 'bob']) {
        for (let i = 0; i < 30; i++) assert.ok(ids.includes(`${tag}.${i}`), `${tag}.${i}`);
      }
      // Store order is write order: count the places where the writer changes.
      const n = ids.filter((id, i) => i > 0 && id.split('.')[0] !== ids[i - 1]!.split('.')[0]).length;
      switches.push(n);
      if (n >= 2) interleaved++;
    }
    process.stderr.write(`concurrency: ${interleaved} of ${ROUNDS} rounds interleaved (floor ${MIN_INTERLEAVED}); ` +
      `writer changes in store order: ${switches.join(', ')}\n`);
    assert.ok(interleaved >= MIN_INTERLEAVED,
      `only ${interleaved} of ${ROUNDS} rounds interleaved (changes: ${switches})`);
  } finally { t.done(); }
});

test.run();
