// The QR reader's work is bounded, not only its pixels: small files whose patterns cost jsQR minutes
// are answered within a deadline, and real codes, small or large, still read after the downscale.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readQr, QR_BUDGET_MS } from '../../../device/host/qr.js';
import { shrink } from '../../../device/host/qr-search.js';
import { has, oracle } from '../../helpers.js';
import { AWS_URI, checkerboard, finderTiling, noise, qrPng, smoothQr } from './qrpng.js';
import { box, type Box } from './util.js';

// Load on this machine cannot fail these: the deadline is lifted where a decode must succeed, and
// bounds are ten times the budget where one must give up. Minutes (the unbounded reader) still fail.
const ROOMY = { budgetMs: 20_000 };
const BOUND_MS = 20_000;

const bombs = suite('CPU bombs under the pixel cap are answered within the deadline, through the CLI');
let b: Box;
bombs.before(() => { b = box(); });
bombs.after(() => b.done());

const GAVE_UP =
  /^token: gave up on the image: 1\.0 s of searching went by without finding a QR code .*crop it to the code$/;
const SHAPES: [string, () => Buffer, RegExp][] = [
  ['a 4000×4000 checkerboard of 2 px squares (22 KB)', () => checkerboard(4000, 2),
    /^token: (gave up on the image|no readable QR code in the image)/],
  ['a 4000×4000 tiling of finder patterns (31 KB)', () => finderTiling(4000, 1),
    /^token: (gave up on the image|no readable QR code in the image)/],
  ['2900×2900 black-and-white noise (1.2 MB)', () => noise(2900, 2900, { binary: true }),
    /^token: (gave up on the image|no readable QR code in the image)/],
  // Seconds of jsQR per pass, under the pixel cap by far: only the deadline ends it.
  ['a 700×700 checkerboard of 1 px squares (1 KB): small images are bounded too', () => checkerboard(700, 1), GAVE_UP],
];
for (const [name, make, said] of SHAPES) {
  bombs(`${name}: one line, exit 1, well within ${BOUND_MS / 1000} s`, async () => {
    const file = join(b.dir, 'bomb.png');
    writeFileSync(file, make());
    const t = performance.now();
    const r = await b.token(['enroll', file], { timeoutMs: BOUND_MS });
    const ms = performance.now() - t;
    assert.is(r.code, 1, `exit ${r.code} after ${ms.toFixed(0)} ms: ${r.stderr}`);
    assert.is(r.stdout, '');
    assert.is(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trimEnd(), said);
    assert.ok(ms < BOUND_MS, `${ms.toFixed(0)} ms`);
  });
}
bombs.run();

const budget = suite('the deadline is a real one');

budget('a budget overrun is E_QR_TOO_COMPLEX, worded with the budget; the next image still reads', async () => {
  const err = await readQr(noise(1024, 1024), { budgetMs: 100 })
    .then(() => null, (e: { code?: string; message?: string }) => e);
  assert.is(err?.code, 'E_QR_TOO_COMPLEX');
  assert.match(err?.message ?? '', /^gave up on the image: 0\.1 s of searching went by without finding a QR code/);
  assert.is(await readQr(smoothQr(AWS_URI, { w: 300, h: 300, x: 20.5, y: 20.5, module: 4.6 }), ROOMY), AWS_URI);
  assert.is(QR_BUDGET_MS, 1000);
});

budget('images queued at once are read one after another, each with its own deadline', async () => {
  const imgs = [4.6, 5.3, 6.1].map((module) => smoothQr(AWS_URI, { w: 380, h: 380, x: 11.5, y: 9.5, module }));
  assert.equal(await Promise.all(imgs.map((i) => readQr(i, ROOMY))), [AWS_URI, AWS_URI, AWS_URI]);
});
budget.run();

const real = suite('real codes still read after the downscale');

real('a large anti-aliased code (2400×2400, 41.2 px modules, blue on cream): the general path', async () => {
  assert.is(await readQr(smoothQr(AWS_URI, { w: 2400, h: 2400, x: 130.5, y: 141.3, module: 2100 / 57 }), ROOMY),
    AWS_URI);
});

real('a small code in the corner of a 3600×2700 screenshot (9.4 px modules, ~3 px after the shrink)', async () => {
  assert.is(await readQr(smoothQr(AWS_URI, { w: 3600, h: 2700, x: 3000.4, y: 2100.2, module: 9.4 }), ROOMY), AWS_URI);
});

real('small anti-aliased codes, with and without a quiet zone (no shrink at all)', async () => {
  assert.is(await readQr(smoothQr(AWS_URI, { w: 300, h: 300, x: 20.5, y: 20.5, module: 4.6 }), ROOMY), AWS_URI);
  assert.is(await readQr(smoothQr(AWS_URI, { w: 236, h: 236, x: 0.3, y: 0.3, module: 4.6 }), ROOMY), AWS_URI);
});

real('the qrcode package at scale 60 (an 11 MP clean render) and at scale 2', async () => {
  assert.is(await readQr(await qrPng(AWS_URI, { scale: 60, margin: 4 }), ROOMY), AWS_URI);
  assert.is(await readQr(await qrPng(AWS_URI, { scale: 2, margin: 4 })), AWS_URI);
});

real('qrencode (the C reference encoder) at sizes 3 and 50', () => {
  if (!oracle('qrencode', has('qrencode', ['-V']))) return;
  return (async () => {
    for (const s of ['3', '50']) {
      const r = spawnSync('qrencode', ['-s', s, '-m', '4', '-o', '-', AWS_URI]);
      assert.is(r.status, 0, String(r.stderr));
      assert.is(await readQr(new Uint8Array(r.stdout), ROOMY), AWS_URI, `qrencode -s ${s}`);
    }
  })();
});
real.run();

const scale = suite('the downscale averages areas');

scale('a 4000×4000 checkerboard of 1 px squares shrinks to flat mid-grey, not to black or white samples', () => {
  const p = PNG.sync.read(checkerboard(4000, 1));
  const g = shrink({ data: new Uint8ClampedArray(p.data.buffer, p.data.byteOffset, p.data.length), width: 4000,
    height: 4000 }, 1_000_000);
  assert.is(g.width * g.height, 1_000_000);
  for (let i = 0; i < g.data.length; i += 4) {
    if (Math.abs(g.data[i]! - 127.5) > 1) assert.unreachable(`pixel ${i / 4} is ${g.data[i]}`);
  }
});

scale('transparent pixels count as white; at most `max` pixels come out, aspect kept', () => {
  const data = new Uint8ClampedArray(3000 * 1000 * 4); // all transparent black
  const g = shrink({ data, width: 3000, height: 1000 }, 300_000);
  assert.ok(g.width * g.height <= 300_000);
  assert.is(Math.round(g.width / g.height), 3);
  assert.ok(g.data.every((v) => v === 255));
});
scale.run();
