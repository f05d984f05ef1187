// The hardened QR reader: every shape of code the qrcode package draws, and every hostile file.
import { deflateSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import jsQRModule from 'jsqr';
import { readQr, pngHeader, MAX_PIXELS } from '../../../device/host/qr.js';
import { AWS_URI, bomb, qrPng, rawPng, reencode, sixteenBit } from './qrpng.js';

const code = async (p: Promise<unknown>): Promise<string> => {
  try { await p; return 'resolved'; } catch (e) { return (e as { code?: string }).code ?? `untyped: ${e}`; }
};

const SHAPES = [
  { scale: 4, margin: 4 }, { scale: 1, margin: 0 }, { scale: 1, margin: 1 }, { scale: 2, margin: 0 },
  { scale: 8, margin: 2 }, { scale: 3, margin: 10, ecl: 'H' as const }, { scale: 5, margin: 1, ecl: 'L' as const },
];

for (const s of SHAPES) {
  test(`reads AWS's URI form drawn at scale ${s.scale}, margin ${s.margin}`, async () => {
    assert.is(await readQr(await qrPng(AWS_URI, s)), AWS_URI);
  });
}

test('reads an inverted code (light modules on dark), including one cropped to its modules', async () => {
  assert.is(await readQr(await qrPng(AWS_URI, { scale: 3, margin: 4, dark: '#ffffffff', light: '#000000ff' })),
    AWS_URI);
  assert.is(await readQr(await qrPng(AWS_URI, { scale: 2, margin: 0, dark: '#ffffffff', light: '#000000ff' })),
    AWS_URI);
});

test('reads a code on a transparent background (alpha composited over white)', async () => {
  assert.is(await readQr(await qrPng(AWS_URI, { scale: 3, margin: 2, light: '#00000000' })), AWS_URI);
  assert.is(await readQr(await qrPng(AWS_URI, { scale: 2, margin: 0, light: '#ffffff00' })), AWS_URI);
});

test('reads coloured codes (dark blue on pale yellow)', async () => {
  assert.is(await readQr(await qrPng(AWS_URI, { scale: 3, margin: 3, dark: '#1a237eff', light: '#fff9c4ff' })),
    AWS_URI);
});

test('reads greyscale, RGB and 16-bit PNGs', async () => {
  const png = await qrPng(AWS_URI, { scale: 3, margin: 4 });
  assert.is(await readQr(reencode(png, 0)), AWS_URI);
  assert.is(await readQr(reencode(png, 2)), AWS_URI);
  assert.is(await readQr(sixteenBit(png)), AWS_URI);
});

test("jsQR's sticky defaults cannot bite: an inverted code still reads after someone called jsQR with dontInvert",
  async () => {
  // jsqr is CJS whose module.exports is the function with itself as .default.
  const jsQR = ((jsQRModule as unknown as { default?: unknown }).default ?? jsQRModule) as
    (d: Uint8ClampedArray, w: number, h: number, o?: { inversionAttempts?: string }) => unknown;
  jsQR(new Uint8ClampedArray(4 * 40 * 40), 40, 40, { inversionAttempts: 'dontInvert' });
  assert.is(await readQr(await qrPng(AWS_URI, { scale: 3, margin: 4, dark: '#ffffffff', light: '#000000ff' })),
    AWS_URI);
});

test('a file that is not a PNG is E_QR_NOT_PNG', async () => {
  assert.is(await code(readQr(new Uint8Array(Buffer.from('GIF89a....')))), 'E_QR_NOT_PNG');
  assert.is(await code(readQr(new Uint8Array(0))), 'E_QR_NOT_PNG');
});

test('a PNG without a QR code is E_QR_UNREADABLE, and so is a damaged one', async () => {
  const blank = rawPng(50, 50, deflateSync(Buffer.alloc(50 * (50 * 4 + 1), 0xff)));
  assert.is(await code(readQr(blank)), 'E_QR_UNREADABLE');
  const good = await qrPng(AWS_URI, { scale: 3, margin: 4 });
  assert.is(await code(readQr(good.subarray(0, good.length / 2))), 'E_QR_UNREADABLE');
  const flipped = Buffer.from(good); flipped[good.length - 30]! ^= 0xff;
  assert.is(await code(readQr(flipped)), 'E_QR_UNREADABLE');
});

test('a decompression bomb declaring 8000×8000 is refused from its IHDR, before decoding', async () => {
  const b = bomb();
  assert.ok(b.length < 100_000, `small on disk (${b.length} bytes)`);
  assert.is(await code(readQr(b)), 'E_QR_TOO_LARGE');
  assert.throws(() => pngHeader(b), (e: any) => e.code === 'E_QR_TOO_LARGE' && /8000×8000/.test(e.message));
  assert.is(await code(readQr(rawPng(4001, 4000, new Uint8Array(8)))), 'E_QR_TOO_LARGE');
  assert.ok(4000 * 4000 <= MAX_PIXELS, '16 megapixels is the cap');
});

test('an interlaced PNG whose data inflates far past its declared size is refused', async () => {
  const b = rawPng(100, 100, deflateSync(Buffer.alloc(16 << 20)), { interlace: true });
  assert.is(await code(readQr(b)), 'E_QR_TOO_LARGE');
});

test('zero width or height is a damaged PNG, not a crash', async () => {
  assert.is(await code(readQr(rawPng(0, 10, new Uint8Array(0)))), 'E_QR_UNREADABLE');
});

test.run();
