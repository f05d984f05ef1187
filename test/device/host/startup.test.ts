// What keeps `token` quick, checked by what gets loaded rather than by a stopwatch (timings live
// in bench/token.ts): the QR reader refuses a decompression bomb before pngjs is even imported,
// `show` and `code` load no crypto, stream or tty module, and the bench knows a bundle when it
// sees one. This file must not import pngjs or qrcode itself (see qrpng.ts).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isBundle } from '../../../bench/token.js';
import { readQr } from '../../../device/host/qr.js';
import { readFileSync } from 'node:fs';
import { TOKEN } from '../../helpers.js';
import { box } from './util.js';

function png(width: number, height: number, idat: Uint8Array): Buffer {
  const chunk = (type: string, data: Uint8Array) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4); ihdr[8] = 8; ihdr[9] = 6;
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', idat),
    chunk('IEND', new Uint8Array(0))]);
}
const loaded = (pkg: string) =>
  Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes(`/node_modules/${pkg}/`));

test('a decompression bomb (8000×8000 declared) is refused from its header: pngjs never loaded, nothing big allocated',
  async () => {
  const bomb = png(8000, 8000, deflateSync(Buffer.alloc(4 << 20)));
  assert.ok(bomb.length < 100_000);
  assert.not.ok(loaded('pngjs'), 'nothing imported pngjs before');
  const before = process.memoryUsage().arrayBuffers;
  let code = 'resolved';
  for (let i = 0; i < 5; i++) await readQr(bomb).catch((e: { code?: string }) => { code = e.code ?? 'untyped'; });
  assert.is(code, 'E_QR_TOO_LARGE');
  assert.not.ok(loaded('pngjs') || loaded('jsqr'), 'refused before pngjs or jsqr was imported');
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.ok(grown < 16 << 20, `${grown >> 20} MB allocated (decoding would take 256 MB)`);
});

test('control: a PNG that is decoded does load pngjs, so the check above can fail', async () => {
  const blank = png(40, 40, deflateSync(Buffer.alloc(40 * (40 * 4 + 1), 0xff)));
  await readQr(blank).catch(() => undefined);
  assert.ok(loaded('pngjs'));
});

test('`token show` and `token code` load no crypto, stream, tty or os module when piped', async () => {
  const b = box();
  try {
    const e = await b.token(['enroll', '--secret', '-', '--name', 'x'], { input: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' });
    assert.is(e.code, 0, e.stderr);
    const preload = join(b.dir, 'modules.cjs'), out = join(b.dir, 'modules.txt');
    writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(out)}, ` +
      `process.moduleLoadList.join('\\n')));`);
    for (const args of [['show'], ['show', '--json'], ['code', 'x']]) {
      const { run } = await import('../../helpers.js');
      const r = await run(process.execPath, ['-r', preload, TOKEN, ...args], { env: b.env });
      assert.is(r.code, 0, r.stderr);
      const mods = readFileSync(out, 'utf8').split('\n');
      const heavy = mods.filter((m) => /^NativeModule (crypto|stream|tty|os|net|internal\/streams\/readable)$/.test(m));
      assert.equal(heavy, [], `token ${args.join(' ')} loaded ${heavy.join(', ')}`);
    }
  } finally { b.done(); }
});

test('bench: the minified esbuild bin is recognised as a bundle, tsc output is not', () => {
  assert.ok(isBundle(readFileSync(TOKEN, 'utf8')), 'dist/device/host/cli.cjs (minified, no path comments)');
  assert.not.ok(isBundle(`import { code } from './commands/code.js';\nconst { main } = await import('./program.js');`));
  assert.not.ok(isBundle(`"use strict";var a=require("./context.js");`));
  assert.ok(isBundle(`"use strict";var n=require("node:fs");import("./program.js")`));
});

test.run();
