// The exact reader of clean module grids: every version, level, mask and mode the qrcode package
// writes reads back to its text; anything it cannot vouch for is null (jsQR's turn), never a guess.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import QR from 'qrcode';
import { readGrid, readSymbol } from '../../../device/host/qr-grid.js';
import { moduleImage, searchGrid, type Rgba } from '../../../device/host/qr-search.js';
import { readQr } from '../../../device/host/qr.js';
import { PNG } from 'pngjs';
import { AWS_URI, qrPng } from './qrpng.js';

type Level = 'L' | 'M' | 'Q' | 'H';
const LEVELS: Level[] = ['L', 'M', 'Q', 'H'];
type Segs = string | { data: string | Uint8Array; mode: 'byte' | 'numeric' | 'alphanumeric' | 'kanji' }[];

/** The symbol as dark modules inside a quiet zone of `margin`, and its size. */
function grid(text: Segs, o: { version?: number; level?: Level; mask?: number; margin?: number } = {}) {
  const q = QR.create(text as string, {
    errorCorrectionLevel: o.level ?? 'M',
    ...(o.version ? { version: o.version } : {}), ...(o.mask !== undefined ? { maskPattern: o.mask as 0 } : {}),
    ...(typeof text !== 'string' && text.some((s) => s.mode === 'kanji') ? { toSJISFunc: () => 0x8140 } : {}),
  });
  const m = o.margin ?? 4, n = q.modules.size, w = n + 2 * m;
  const dark = new Uint8Array(w * w);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) dark[(y + m) * w + x + m] = q.modules.data[y * n + x]!;
  return { dark, w, n, m, version: q.version };
}

/** The grid as RGBA, `scale` pixels per module (searchGrid wants at least 2, readGrid exactly 1). */
const toRgba = (dark: Uint8Array, w: number, fg = 0xff000000, bg = 0xffffffff, scale = 1): Rgba => {
  const W = w * scale, data = new Uint8ClampedArray(W * W * 4), px = new Uint32Array(data.buffer);
  for (let y = 0; y < W; y++) {
    for (let x = 0; x < W; x++) px[y * W + x] = dark[Math.floor(y / scale) * w + Math.floor(x / scale)] ? fg : bg;
  }
  return { data, width: W, height: W };
};

const text = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => 'abcdefghijklmnopqrstuvwxyz0123456789:/?=&%'[(i * 7 + seed * 13) % 42]).join('');

const bytes = (n: number, seed: number): Segs => [{ data: text(n, seed), mode: 'byte' }];

for (let v = 1; v <= 40; v++) {
  test(`version ${v}, levels L M Q H, masks ${(v * 4) % 8}-${(v * 4 + 3) % 8}: the longest byte text back`,
    () => {
      LEVELS.forEach((level, l) => {
        // The longest text of this version and level, so every block holds data.
        const mask = (v * 4 + l) % 8;
        let len = 0, g: ReturnType<typeof grid> | undefined;
        for (let lo = 1, hi = 3000; lo <= hi;) {
          const mid = (lo + hi) >> 1;
          try { g = grid(bytes(mid, v), { version: v, level, mask }); len = mid; lo = mid + 1; } catch { hi = mid - 1; }
        }
        g = grid(bytes(len, v), { version: v, level, mask });
        assert.is(g.version, v);
        assert.is(readSymbol(g.dark, g.w, g.w), text(len, v), `level ${level}, ${len} bytes`);
      });
    });
}

test('numeric, alphanumeric, byte and UTF-8 segments, one after another', () => {
  const segs: Segs = [
    { data: '0123456789', mode: 'numeric' }, { data: '12', mode: 'numeric' }, { data: '7', mode: 'numeric' },
    { data: 'AWS MFA:$%*+-./', mode: 'alphanumeric' }, { data: 'X', mode: 'alphanumeric' },
    { data: 'héllo ✓ 🔑', mode: 'byte' },
  ];
  const g = grid(segs, { level: 'Q' });
  assert.is(readSymbol(g.dark, g.w, g.w), '0123456789127AWS MFA:$%*+-./Xhéllo ✓ 🔑');
});

test('an AWS-shaped otpauth URI: PNG in, the same text jsQR reads, on the fast path', async () => {
  const png = await qrPng(AWS_URI, { scale: 3, margin: 4 });
  const p = PNG.sync.read(png);
  const m = moduleImage({ data: new Uint8ClampedArray(p.data.buffer, p.data.byteOffset, p.data.length),
    width: p.width, height: p.height })!;
  assert.is(readGrid(m), AWS_URI);
  assert.is(await readQr(png), AWS_URI);
});

test('no quiet zone, or a wide one: the symbol is where the dark modules are', () => {
  for (const margin of [0, 1, 9]) {
    const g = grid(AWS_URI, { margin });
    assert.is(readSymbol(g.dark, g.w, g.w), AWS_URI, `margin ${margin}`);
  }
});

test('one flipped data module: null here (no correction), and jsQR still corrects it', async () => {
  const g = grid(AWS_URI, { level: 'M' });
  // A module of the data region far from every function pattern.
  const i = (g.m + g.n - 12) * g.w + g.m + g.n - 12;
  g.dark[i] ^= 1;
  assert.is(readSymbol(g.dark, g.w, g.w), null);
  assert.is(await searchGrid(toRgba(g.dark, g.w, undefined, undefined, 2)), AWS_URI, 'the jsQR fallback reads it');
});

test('a damaged finder, timing or alignment pattern, format or version field: null', () => {
  const base = grid(text(200, 1), { version: 10, level: 'L' });
  const at = (x: number, y: number) => (y + base.m) * base.w + x + base.m;
  const n = base.n;
  for (const [what, x, y] of [
    ['finder centre', 3, 3], ['finder ring', n - 1, 0], ['separator', 7, n - 3], ['timing', 10, 6],
    ['alignment centre', 30, 30], ['format copy 1', 8, 2], ['format copy 2', n - 2, 8], ['dark module', 8, n - 8],
    ['version field', n - 10, 2], ['version copy 2', 1, n - 9],
  ] as const) {
    const d = base.dark.slice();
    d[at(x, y)] ^= 1;
    assert.is(readSymbol(d, base.w, base.w), null, what);
  }
});

test('mirrored or rotated symbols, and two symbols in one picture: null', () => {
  const g = grid(AWS_URI);
  const t = (f: (x: number, y: number) => number) => {
    const d = new Uint8Array(g.dark.length);
    for (let y = 0; y < g.w; y++) for (let x = 0; x < g.w; x++) d[y * g.w + x] = g.dark[f(x, y)]!;
    return readSymbol(d, g.w, g.w);
  };
  assert.is(t((x, y) => x * g.w + y), null, 'mirrored across the diagonal');
  assert.is(t((x, y) => (g.w - 1 - x) * g.w + y), null, 'rotated');
  const d = g.dark.slice();
  d[(g.w - 1) * g.w + g.w - 1] = 1;
  assert.is(readSymbol(d, g.w, g.w), null, 'a stray dark module');
});

test('Kanji and bytes that are not UTF-8: null (jsQR words them its own way)', () => {
  const k = grid([{ data: 'AB', mode: 'alphanumeric' }, { data: '\u3042', mode: 'kanji' }]);
  assert.is(readSymbol(k.dark, k.w, k.w), null, 'Kanji');
  const b = grid([{ data: new Uint8Array([0x63, 0x61, 0x66, 0xe9]), mode: 'byte' }]);
  assert.is(readSymbol(b.dark, b.w, b.w), null, 'Latin-1 é');
});

test('colours: dark on light reads; light on dark and faint contrast are left to jsQR', async () => {
  const g = grid(AWS_URI);
  assert.is(readGrid(toRgba(g.dark, g.w, 0xff402010, 0xffc0e0f0)), AWS_URI, 'navy on pale blue');
  assert.is(readGrid(toRgba(g.dark, g.w, 0xffffffff, 0xff000000)), null, 'inverted');
  assert.is(await searchGrid(toRgba(g.dark, g.w, 0xffffffff, 0xff000000, 2)), AWS_URI,
    'jsQR reads the inverted one');
  assert.is(readGrid(toRgba(g.dark, g.w, 0xff909090, 0xffa0a0a0)), null, 'faint');
});

test('sizes that are no QR version: null', () => {
  for (const n of [1, 20, 22, 178]) {
    const d = new Uint8Array(n * n).fill(1);
    assert.is(readSymbol(d, n, n), null, `${n}×${n}`);
  }
});

test.run();
