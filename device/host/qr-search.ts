// The QR search itself: PNG pixels in, the code's text or null out. It runs on the caller's thread
// for clean renders of at most FAST_GRID modules and in a worker (qr-worker.ts) for the rest, where
// a deadline can stop it: jsQR's cost grows faster than its pixels and hostile patterns (a 1 px
// checkerboard, tiled finder patterns, noise) cost seconds even at half a megapixel.
import { HostError } from './errors.js';
import { readGrid } from './qr-grid.js';

/** The general path searches at most this many pixels: a QR needs a few pixels per module, not more. */
export const SEARCH_PIXELS = 1_200_000;
/** A clean render of at most this many modules (version 40 and its quiet zone are 185) is cheap to read. */
export const FAST_GRID = 200 * 200;

// Loaded on the first image, resolved once: every import() of a bare name walks node_modules again.
const loadLibs = async () => {
  // jsqr is CJS whose module.exports is the function with itself as .default.
  const [{ PNG }, { default: { default: jsQR } }] = await Promise.all([import('pngjs'), import('jsqr')]);
  return { PNG, jsQR };
};
let libs: ReturnType<typeof loadLibs> | undefined;

/** pngjs's decode as RGBA, checked against the header the caller already vetted. */
export async function decodePng(png: Uint8Array, width: number, height: number): Promise<Rgba> {
  const { PNG } = await (libs ??= loadLibs());
  let d: { width: number; height: number; data: Uint8Array };
  try {
    d = PNG.sync.read(Buffer.from(png.buffer, png.byteOffset, png.length));
  } catch (e) {
    throw new HostError('E_QR_UNREADABLE', `the PNG is damaged: ${String((e as Error)?.message ?? e).split('\n')[0]}`);
  }
  if (d.width !== width || d.height !== height || d.data.length !== 4 * width * height) {
    throw new HostError('E_QR_UNREADABLE', 'the PNG is damaged: its pixel data does not match its header');
  }
  return { data: new Uint8ClampedArray(d.data.buffer, d.data.byteOffset, d.data.length), width, height };
}

async function scanner(): Promise<(m: Rgba | null) => string | null> {
  const { jsQR } = await (libs ??= loadLibs());
  // Options go in on every call: jsQR writes them into its shared defaults (jsQR src/index.ts).
  return (m) => {
    if (!m) return null;
    try {
      return jsQR(m.data, m.width, m.height, { inversionAttempts: 'attemptBoth' })?.data || null;
    } catch { return null; }
  };
}

/** A clean render read at one pixel per module (a small one framed, too); null when it is none or too big. */
export async function searchGrid(img: Rgba): Promise<string | null> {
  const grid = moduleImage(img);
  if (!grid || grid.width * grid.height > FAST_GRID) return null;
  const exact = readGrid(grid);
  if (exact) return exact;
  const scan = await scanner();
  return scan(grid) ?? scan(framed(grid, [grid.data[0]!, grid.data[1]!, grid.data[2]!]));
}

/** Everything else: alpha over white, shrunk to SEARCH_PIXELS, as it is and framed in either colour. */
export async function searchAll(img: Rgba, gridTried = false): Promise<string | null> {
  const fast = gridTried ? null : await searchGrid(img);
  if (fast) return fast;
  const scan = await scanner();
  const grey = shrink(img, SEARCH_PIXELS);
  const [bg, other] = palette(grey);
  for (const make of [() => grey, () => framed(grey, bg), () => framed(grey, other)]) {
    const text = scan(make());
    if (text) return text;
  }
  return null;
}

/**
 * Greyscale by area averaging, alpha composited over white (jsQR ignores alpha, so a transparent
 * background would read as black), with at most `max` pixels: every source pixel lands in the
 * output pixel under it, so thin modules blur to grey instead of vanishing between samples.
 */
export function shrink(img: Rgba, max: number): Rgba {
  const { data, width: w, height: h } = img;
  const f = Math.max(1, Math.sqrt((w * h) / max));
  const W = Math.max(1, Math.floor(w / f)), H = Math.max(1, Math.floor(h / f));
  const sum = new Float64Array(W * H), n = new Uint32Array(W * H);
  const col = new Uint32Array(w);
  for (let x = 0; x < w; x++) col[x] = Math.min(W - 1, Math.floor(x / f));
  for (let y = 0; y < h; y++) {
    const row = Math.min(H - 1, Math.floor(y / f)) * W;
    for (let x = 0, i = y * w * 4; x < w; x++, i += 4) {
      const a = data[i + 3]!;
      const l = 0.2126 * data[i]! + 0.7152 * data[i + 1]! + 0.0722 * data[i + 2]!;
      const o = row + col[x]!;
      sum[o]! += (l * a + 255 * (255 - a)) / 255; n[o]!++;
    }
  }
  const out = new Uint8ClampedArray(W * H * 4);
  for (let o = 0; o < W * H; o++) {
    const v = sum[o]! / n[o]!;
    out[o * 4] = out[o * 4 + 1] = out[o * 4 + 2] = v; out[o * 4 + 3] = 255;
  }
  return { data: out, width: W, height: H };
}

/** The border's majority colour (the background) and the other class's mean colour. */
function palette(img: Rgba): [number[], number[]] {
  const { data, width: w, height: h } = img;
  let lo = 255, hi = 0;
  for (let i = 0; i < data.length; i += 4 * Math.max(1, Math.floor(w * h / 65536))) {
    const l = data[i]!; if (l < lo) lo = l; if (l > hi) hi = l;
  }
  const mid = (lo + hi) / 2, sum = [[0, 0, 0, 0], [0, 0, 0, 0]] as number[][];
  const add = (x: number, y: number) => {
    const i = (y * w + x) * 4, c = sum[data[i]! >= mid ? 1 : 0]!;
    c[0]! += data[i]!; c[1]! += data[i + 1]!; c[2]! += data[i + 2]!; c[3]!++;
  };
  for (let x = 0; x < w; x++) { add(x, 0); add(x, h - 1); }
  for (let y = 1; y < h - 1; y++) { add(0, y); add(w - 1, y); }
  const mean = (c: number[], dflt: number) => c[3] ? [c[0]! / c[3], c[1]! / c[3], c[2]! / c[3]] : [dflt, dflt, dflt];
  const light = mean(sum[1]!, 255), dark = mean(sum[0]!, 0);
  return sum[1]![3]! >= sum[0]![3]! ? [light, dark] : [dark, light];
}

/** Scales small images up (jsQR fails under ~33 px, jsQR#177) and adds a quiet zone of `bg`. */
function framed(img: Rgba, bg: number[]): Rgba | null {
  const { width: w, height: h } = img;
  const f = Math.min(w, h) < 120
    ? Math.max(1, Math.min(Math.ceil(120 / Math.min(w, h)), Math.floor(2000 / Math.max(w, h))))
    : 1;
  // A QR code is square, so its quiet zone (4 modules of ≥21) scales with the short side.
  const pad = Math.ceil(Math.min(w, h) * f * 0.2);
  const W = w * f + 2 * pad, H = h * f + 2 * pad;
  // Framing may not undo the shrink: the frame's pixels are cheap for jsQR, but not free.
  if (W * H > 2 * SEARCH_PIXELS) return null;
  const out = new Uint8ClampedArray(W * H * 4);
  for (let i = 0; i < out.length; i += 4) {
    out[i] = bg[0]!; out[i + 1] = bg[1]!; out[i + 2] = bg[2]!; out[i + 3] = 255;
  }
  for (let y = 0; y < h * f; y++) {
    const src = Math.floor(y / f) * w;
    for (let x = 0; x < w * f; x++) {
      const s = (src + Math.floor(x / f)) * 4, d = ((y + pad) * W + x + pad) * 4;
      out[d] = img.data[s]!; out[d + 1] = img.data[s + 1]!; out[d + 2] = img.data[s + 2]!;
    }
  }
  return { data: out, width: W, height: H };
}

// Clean renders: most QR PNGs (AWS's, our endpoint's, anything from a QR library) are the module
// grid blown up by an integer scale, two colours, no blur. jsQR's cost grows with pixels, not with
// modules, so such an image is read at one pixel per module: same bits, a fraction of the work.

const gcd = (a: number, b: number): number => { while (b) [a, b] = [b, a % b]; return a; };

export interface Rgba { data: Uint8ClampedArray; width: number; height: number }

/**
 * The image shrunk to one pixel per module, or null when it is not a clean render: more than two
 * colours, any transparency, or a colour change off the grid. Every change in a row falls on
 * x ≡ ox (mod s) and every change in a column on y ≡ oy (mod s), so each s×s cell is one colour.
 */
export function moduleImage(img: Rgba): Rgba | null {
  const { width: w, height: h } = img;
  if (img.data.byteOffset % 4 !== 0) return null;
  const px = new Uint32Array(img.data.buffer, img.data.byteOffset, w * h);
  const a = px[0]!;
  let b = a;
  for (let i = 1; i < px.length; i++) {
    const p = px[i]!;
    if (p === a) continue;
    if (b === a) b = p;
    else if (p !== b) return null;
  }
  if (b === a) return null;
  const opaque = (c: number) => c >>> 24 === 0xff; // little-endian: alpha is the high byte
  if (!opaque(a) || !opaque(b)) return null;

  // A row equal to the one above adds no change in either direction; a row that differs is a
  // vertical change at y, and only such rows (one in s) need their horizontal changes scanned.
  let x0 = -1, gx = 0, y0 = -1, gy = 0;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    if (y > 0) {
      let x = 0;
      while (x < w && px[row + x] === px[row - w + x]) x++;
      if (x === w) continue;
      if (y0 < 0) y0 = y; else gy = gcd(gy, y - y0);
    }
    for (let x = 1; x < w; x++) {
      if (px[row + x] !== px[row + x - 1]) { if (x0 < 0) x0 = x; else gx = gcd(gx, Math.abs(x - x0)); }
    }
  }
  // Modules are square: one scale for both axes, of at least 2 px (1 px is already the grid).
  const s = gcd(gx, gy);
  if (s < 2 || x0 < 0 || y0 < 0) return null;
  const ox = x0 % s, oy = y0 % s;
  // Cells start at ox - s when the image edge cuts the first one.
  const sx = ox ? ox - s : 0, sy = oy ? oy - s : 0;
  const W = Math.ceil((w - sx) / s), H = Math.ceil((h - sy) / s);
  const out = new Uint8ClampedArray(W * H * 4);
  const o32 = new Uint32Array(out.buffer);
  for (let j = 0; j < H; j++) {
    const y = Math.max(0, sy + j * s);
    for (let i = 0; i < W; i++) o32[j * W + i] = px[y * w + Math.max(0, sx + i * s)]!;
  }
  return { data: out, width: W, height: H };
}
