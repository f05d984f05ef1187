// kill -9 at a random moment while processes write the store (PUT, RENAME, DELETE).
// After each kill the store must open, hold the state before or after the write in flight,
// keep every earlier credential, and let the next writer in despite the dead one's lock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { boot, manufacture, type Device } from '../../../device/firmware/index.js';
import { tempDir } from '../../helpers.js';
import { h, tx, writerScript } from './util.js';

const ROUNDS = 100;
const WRITERS = ['a', 'b'];
const MAX_DELAY_MS = 30;
const SEED = '"12345678901234567890"';

/** The churn writer's state after n acknowledged writes (writer.ts `churnOp`). */
function sim(tag: string, n: number): string[] {
  const s = new Set<string>();
  for (let i = 0; i < n; i++) {
    const k = Math.floor(i / 3);
    if (i % 3 === 0) s.add(`${tag}.${k}`);
    else if (i % 3 === 1) { s.delete(`${tag}.${k}`); s.add(`${tag}.${k}r`); }
    else if (k > 0) s.delete(`${tag}.${k - 1}r`);
    else s.add(`${tag}.x`);
  }
  return [...s].sort();
}

async function ids(dev: Device): Promise<string[]> {
  const r = await dev.transmit(h('00 A1 00 00 00'));
  assert.is(Buffer.from(r.subarray(-2)).toString('hex'), '9000', 'LIST after a kill');
  const out: string[] = [];
  for (let i = 0; i < r.length - 2;) {
    assert.is(r[i], 0x72);
    const len = r[i + 1]!;
    out.push(Buffer.from(r.subarray(i + 3, i + 2 + len)).toString('utf8'));
    i += 2 + len;
  }
  return out;
}

interface Killed { acked: number; signal: NodeJS.Signals | null; stderr: string }

function churnAndKill(script: string, path: string, tag: string): Promise<Killed> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [script, path, 'churn', tag], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', stderr = '';
    child.stdout.on('data', (b) => {
      const was = out;
      out += b;
      if (!was.includes('ready\n') && out.includes('ready\n')) {
        setTimeout(() => child.kill('SIGKILL'), Math.random() * MAX_DELAY_MS);
      }
    });
    child.stderr.on('data', (b) => (stderr += b));
    child.on('close', (_code, signal) => res({ acked: (out.match(/^ok /gm) ?? []).length, signal, stderr }));
  });
}

test(`${ROUNDS * WRITERS.length} kill -9 runs on PUT/RENAME/DELETE, ${WRITERS.length} writers at a time: old or new state, nothing lost, nobody blocked`, async () => {
  const t = tempDir('fw-crash-');
  try {
    const path = join(t.dir, 'token.dev');
    const now = () => Date.now() / 1000;
    await manufacture(path, { now });
    const dev = await boot({ path, now });
    const base = ['base.0', 'base.1', 'base.2', 'base.3', 'base.4'];
    for (const id of base) assert.is(await tx(dev, `00 01 00 00 ${(26 + id.length).toString(16)} 71 0${id.length} "${id}" 73 16 21 06 ${SEED}`), '9000');
    const script = await writerScript(t.dir);

    let kills = 0, caught = 0, slowest = 0, tornTemps = 0, deadLocks = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const tags = WRITERS.map((w) => `w${round}${w}`);
      const runs = await Promise.all(tags.map((tag) => churnAndKill(script, path, tag)));
      for (const r of runs) assert.is(r.signal, 'SIGKILL', `the writer died by the kill, not by itself: ${r.stderr}`);
      kills += runs.length;
      const left = readdirSync(t.dir);
      if (left.some((n) => n.includes('.tmp-'))) tornTemps++;
      if (left.some((n) => n.endsWith('.lock'))) deadLocks++;

      // A fresh power-on must read the store: a torn or corrupt file fails its checksum here.
      const after = await boot({ path, now });
      const now_ = await ids(after);
      await after.close();
      for (const id of base) assert.ok(now_.includes(id), `${id} survived round ${round}`);
      tags.forEach((tag, i) => {
        const mine = now_.filter((id) => id.startsWith(`${tag}.`)).sort();
        const k = runs[i]!.acked;
        const old = sim(tag, k), next = sim(tag, k + 1);
        const ok = JSON.stringify(mine) === JSON.stringify(old) || JSON.stringify(mine) === JSON.stringify(next);
        assert.ok(ok, `round ${round} ${tag}: ${JSON.stringify(mine)} is neither the state after ${k} writes ${JSON.stringify(old)} nor after ${k + 1} ${JSON.stringify(next)}`);
        if (JSON.stringify(mine) !== JSON.stringify(old)) caught++;
      });

      // The next writer gets in at once, whatever lock the dead left behind.
      const t0 = Date.now();
      for (const id of now_.filter((id) => !id.startsWith('base.'))) {
        assert.is(await tx(dev, Uint8Array.from([0, 2, 0, 0, id.length + 2, 0x71, id.length, ...Buffer.from(id)])), '9000');
      }
      assert.is(await tx(dev, `00 01 00 00 1E 71 04 "next" 73 16 21 06 ${SEED}`), '9000');
      assert.is(await tx(dev, '00 02 00 00 06 71 04 "next"'), '9000');
      slowest = Math.max(slowest, Date.now() - t0);
    }
    assert.is(kills, ROUNDS * WRITERS.length);
    // A lock left between open(O_EXCL) and its write is taken over after 2 s; a dead pid at once.
    assert.ok(slowest < 5000, `the next writer waited ${slowest} ms`);
    assert.not.ok(readdirSync(t.dir).some((n) => n.includes('.tmp-')), 'dead writers\' temp files were swept');
    process.stderr.write(`crash: ${kills} kills; after ${deadLocks} rounds a dead writer's lock was left, after ${tornTemps} a half-written temp file; ` +
      `${caught} writes landed but were never acknowledged; slowest next write ${slowest} ms\n`);
    await dev.close();
  } finally { t.done(); }
});

test.run();
