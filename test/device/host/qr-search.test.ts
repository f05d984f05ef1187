// Clean renders are read at one pixel per module: the shrink must be exact, and anything that is
// not a clean render (blur, a third colour, transparency, an edge off the grid) must be left alone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PNG } from 'pngjs';
import QR from 'qrcode';
import { moduleImage, type Rgba } from '../../../device/host/qr-search.js';
import { AWS_URI, qrPng } from './qrpng.js';

const rgba = async (scale: number, margin: number, o: { dark?: string; light?: string } = {}): Promise<Rgba> => {
  const p = PNG.sync.read(await qrPng(AWS_URI, { scale, margin, ...o }));
  return {
    data: new Uint8ClampedArray(p.data.buffer, p.data.byteOffset, p.data.length), width: p.width, height: p.height,
  };
};
const modules = QR.create(AWS_URI, { errorCorrectionLevel: 'M' }).modules;
const dark = (img: Rgba, x: number, y: number) => img.data[(y * img.width + x) * 4]! < 128;

for (const [scale, margin] of [[2, 4], [3, 4], [4, 0], [7, 1], [12, 3]] as const) {
  test(`scale ${scale}, margin ${margin}: shrinks to one pixel per module, every module right`, async () => {
    const m = moduleImage(await rgba(scale, margin))!;
    assert.ok(m, 'recognised as a clean render');
    assert.is(m.width, modules.size + 2 * margin);
    assert.is(m.height, modules.size + 2 * margin);
    for (let y = 0; y < modules.size; y++) {
      for (let x = 0; x < modules.size; x++) {
        assert.is(dark(m, x + margin, y + margin), !!modules.data[y * modules.size + x], `module ${x},${y}`);
      }
    }
  });
}

test('a code cropped off-grid (the image edge cuts the first cells) keeps its grid', async () => {
  const img = await rgba(5, 2);
  const W = img.width - 3, H = img.height - 3;
  const data = new Uint8ClampedArray(W * H * 4);
  for (let y = 0; y < H; y++) data.set(img.data.subarray(((y + 3) * img.width + 3) * 4,
    ((y + 3) * img.width + 3 + W) * 4), y * W * 4);
  const m = moduleImage({ data, width: W, height: H })!;
  assert.ok(m);
  assert.is(dark(m, 2, 2), !!modules.data[0], 'the finder corner lands on a cell');
});

test('not a clean render: left to the general path', async () => {
  assert.is(moduleImage(await rgba(1, 4)), null, 'one pixel per module already');
  assert.is(moduleImage(await rgba(3, 4, { light: '#00000000' })), null, 'transparent background');
  const blur = await rgba(3, 4);
  blur.data.set([128, 128, 128, 255], (10 * blur.width + 10) * 4);
  assert.is(moduleImage(blur), null, 'a third colour (anti-aliasing)');
  const off = await rgba(3, 4);
  const row = 4 * 3 * off.width * 4 + 4 * 3 * 4; // the finder's first dark row, one pixel earlier
  off.data.set([0, 0, 0, 255], row - 4);
  assert.is(moduleImage(off), null, 'an edge off the grid');
  const flat = await rgba(3, 4);
  flat.data.fill(255);
  assert.is(moduleImage(flat), null, 'one colour');
});

test.run();
