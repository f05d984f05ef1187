// Two processes write the same store at once: the lock and the re-read under it mean
// neither loses the other's credentials.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { boot, manufacture } from '../../../device/firmware/index.js';
import { tempDir } from '../../helpers.js';
import { h, writerScript } from './util.js';

function put30(script: string, path: string, tag: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((res) => {
    const c = spawn(process.execPath, [script, path, 'put30', tag], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    c.stdout.on('data', (b) => (out += b));
    c.stderr.on('data', (b) => (err += b));
    c.on('close', (code) => res({ code, out, err }));
  });
}

test('two processes each PUT 30 credentials at once, and all 60 are there', async () => {
  const t = tempDir('fw-conc-');
  try {
    const path = join(t.dir, 'token.dev');
    const now = () => Date.now() / 1000;
    await manufacture(path, { now });
    const script = await writerScript(t.dir);
    const [a, b] = await Promise.all([put30(script, path, 'alice'), put30(script, path, 'bob')]);
    for (const r of [a, b]) {
      assert.is(r.code, 0, r.err);
      assert.is((r.out.match(/^ok /gm) ?? []).length, 30);
    }
    // Their writes interleaved (otherwise this proves little): alice's acks are not all first.
    const dev = await boot({ path, now });
    const r = await dev.transmit(h('00 A1 00 00 00'));
    let list = Buffer.from(r.subarray(0, -2));
    let sw = Buffer.from(r.subarray(-2)).toString('hex');
    while (sw.startsWith('61')) {
      const more = await dev.transmit(h('00 A5 00 00 00'));
      list = Buffer.concat([list, more.subarray(0, -2)]);
      sw = Buffer.from(more.subarray(-2)).toString('hex');
    }
    assert.is(sw, '9000');
    const ids: string[] = [];
    for (let i = 0; i < list.length; i += 2 + list[i + 1]!) ids.push(list.subarray(i + 3, i + 2 + list[i + 1]!).toString());
    assert.is(ids.length, 60);
    for (const tag of ['alice', 'bob']) for (let i = 0; i < 30; i++) assert.ok(ids.includes(`${tag}.${i}`), `${tag}.${i}`);
    const firstBob = ids.findIndex((id) => id.startsWith('bob.')), lastAlice = ids.map((id) => id.startsWith('alice.')).lastIndexOf(true);
    const firstAlice = ids.findIndex((id) => id.startsWith('alice.')), lastBob = ids.map((id) => id.startsWith('bob.')).lastIndexOf(true);
    if (!(firstBob < lastAlice && firstAlice < lastBob)) process.stderr.write('note: the two writers did not interleave this time\n');
    await dev.close();
  } finally { t.done(); }
});

test.run();
