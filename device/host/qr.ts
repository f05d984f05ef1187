// The hardened QR reader: PNG bytes in, the QR text out, or a typed error. pngjs and jsqr
// are loaded here and only when an image is read (js-ecosystem.md §4 has the traps).
import { inflateSync } from 'node:zlib';
import { HostError } from './errors.js';
import { moduleImage, type Rgba } from './qr-grid.js';

/** pngjs has no cap: an 8000×8000 declaration inflates to ~800 MB (js-ecosystem.md §4). */
export const MAX_PIXELS = 16_000_000;
const SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export const isPng = (b: Uint8Array): boolean => b.length >= 8 && SIG.every((x, i) => b[i] === x);

export interface PngHeader { width: number; height: number; bitDepth: number; colorType: number; interlaced: boolean }

/** Reads IHDR (bytes 8..33) without decoding anything, and refuses what is too big to decode. */
export function pngHeader(b: Uint8Array): PngHeader {
  if (!isPng(b)) throw new HostError('E_QR_NOT_PNG', 'the file is not a PNG image (bad signature)');
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  if (b.length < 33 || dv.getUint32(8) !== 13 || dv.getUint32(12) !== 0x49484452) {
    throw new HostError('E_QR_UNREADABLE', 'the PNG is damaged: it does not start with an IHDR header');
  }
  const width = dv.getUint32(16), height = dv.getUint32(20);
  if (width === 0 || height === 0) throw new HostError('E_QR_UNREADABLE', `the PNG is damaged: it declares ${width}×${height} pixels`);
  if (width * height > MAX_PIXELS) {
    throw new HostError('E_QR_TOO_LARGE', `the PNG declares ${width}×${height} pixels, over the ${MAX_PIXELS / 1e6} megapixel limit; crop it to the QR code`);
  }
  return { width, height, bitDepth: b[24]!, colorType: b[25]!, interlaced: b[28] === 1 };
}

// pngjs bounds the inflate of a plain PNG by its declared size but inflates an interlaced one
// unbounded (lib/parser-sync.js), so a tiny interlaced file could still expand without limit.
function checkInterlacedSize(b: Uint8Array, h: PngHeader): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const idat: Uint8Array[] = [];
  for (let o = 8; o + 12 <= b.length;) {
    const len = dv.getUint32(o), type = dv.getUint32(o + 4);
    if (o + 12 + len > b.length) break;
    if (type === 0x49444154) idat.push(b.subarray(o + 8, o + 8 + len));
    if (type === 0x49454e44) break;
    o += 12 + len;
  }
  const bound = (Math.ceil((h.width * 8 * h.bitDepth) / 8) + 1) * h.height * 2 + 4096;
  try { inflateSync(Buffer.concat(idat), { maxOutputLength: bound }); } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new HostError('E_QR_TOO_LARGE', 'the PNG image data inflates past its declared size (a decompression bomb?)');
    }
    // Other inflate errors surface from pngjs below with its own message.
  }
}

type Image = Rgba;

/** Composites alpha over white: jsQR ignores alpha, so a transparent background reads as black. */
function overWhite(rgba: Uint8Array, width: number, height: number): Image {
  const data = new Uint8ClampedArray(rgba.length);
  for (let i = 0; i < rgba.length; i += 4) {
    const a = rgba[i + 3]!, k = 255 - a;
    data[i] = (rgba[i]! * a + 255 * k) / 255;
    data[i + 1] = (rgba[i + 1]! * a + 255 * k) / 255;
    data[i + 2] = (rgba[i + 2]! * a + 255 * k) / 255;
    data[i + 3] = 255;
  }
  return { data, width, height };
}

const lum = (d: Uint8ClampedArray, i: number) => (d[i]! * 299 + d[i + 1]! * 587 + d[i + 2]! * 114) / 1000;

/** The border's majority colour (the background) and the other class's mean colour. */
function palette(img: Image): [number[], number[]] {
  const { data, width: w, height: h } = img;
  let lo = 255, hi = 0;
  for (let i = 0; i < data.length; i += 4 * Math.max(1, Math.floor(w * h / 65536))) {
    const l = lum(data, i); if (l < lo) lo = l; if (l > hi) hi = l;
  }
  const mid = (lo + hi) / 2, sum = [[0, 0, 0, 0], [0, 0, 0, 0]] as number[][];
  const add = (x: number, y: number) => {
    const i = (y * w + x) * 4, c = sum[lum(data, i) >= mid ? 1 : 0]!;
    c[0]! += data[i]!; c[1]! += data[i + 1]!; c[2]! += data[i + 2]!; c[3]!++;
  };
  for (let x = 0; x < w; x++) { add(x, 0); add(x, h - 1); }
  for (let y = 1; y < h - 1; y++) { add(0, y); add(w - 1, y); }
  const mean = (c: number[], dflt: number) => c[3] ? [c[0]! / c[3], c[1]! / c[3], c[2]! / c[3]] : [dflt, dflt, dflt];
  const light = mean(sum[1]!, 255), dark = mean(sum[0]!, 0);
  return sum[1]![3]! >= sum[0]![3]! ? [light, dark] : [dark, light];
}

/** Scales small images up (jsQR fails under ~33 px, jsQR#177) and adds a quiet zone of `bg`. */
function framed(img: Image, bg: number[]): Image | null {
  const { width: w, height: h } = img;
  const f = Math.min(w, h) < 120 ? Math.max(1, Math.min(Math.ceil(120 / Math.min(w, h)), Math.floor(2000 / Math.max(w, h)))) : 1;
  // A QR code is square, so its quiet zone (4 modules of ≥21) scales with the short side.
  const pad = Math.ceil(Math.min(w, h) * f * 0.2);
  const W = w * f + 2 * pad, H = h * f + 2 * pad;
  if (W * H > MAX_PIXELS) return null;
  const out = new Uint8ClampedArray(W * H * 4);
  for (let i = 0; i < out.length; i += 4) { out[i] = bg[0]!; out[i + 1] = bg[1]!; out[i + 2] = bg[2]!; out[i + 3] = 255; }
  for (let y = 0; y < h * f; y++) {
    const src = Math.floor(y / f) * w;
    for (let x = 0; x < w * f; x++) {
      const s = (src + Math.floor(x / f)) * 4, d = ((y + pad) * W + x + pad) * 4;
      out[d] = img.data[s]!; out[d + 1] = img.data[s + 1]!; out[d + 2] = img.data[s + 2]!;
    }
  }
  return { data: out, width: W, height: H };
}

// Loaded on the first image, resolved once: every import() of a bare name walks node_modules again.
const loadLibs = async () => {
  // jsqr is CJS whose module.exports is the function with itself as .default.
  const [{ PNG }, { default: { default: jsQR } }] = await Promise.all([import('pngjs'), import('jsqr')]);
  return { PNG, jsQR };
};
let libs: ReturnType<typeof loadLibs> | undefined;

/**
 * Decodes the first QR code in a PNG.
 * @example const uri = await readQr(readFileSync('aws-mfa.png'));
 */
export async function readQr(png: Uint8Array): Promise<string> {
  const head = pngHeader(png);
  if (head.interlaced) checkInterlacedSize(png, head);
  const { PNG, jsQR } = await (libs ??= loadLibs());
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = PNG.sync.read(Buffer.from(png.buffer, png.byteOffset, png.length));
  } catch (e) {
    throw new HostError('E_QR_UNREADABLE', `the PNG is damaged: ${String((e as Error)?.message ?? e).split('\n')[0]}`);
  }
  if (decoded.width !== head.width || decoded.height !== head.height || decoded.data.length !== 4 * head.width * head.height) {
    throw new HostError('E_QR_UNREADABLE', 'the PNG is damaged: its pixel data does not match its header');
  }
  // Options go in on every call: jsQR writes them into its shared defaults (jsQR src/index.ts).
  const scan = (m: Image | null): string | null => {
    if (!m) return null;
    try { return jsQR(m.data, m.width, m.height, { inversionAttempts: 'attemptBoth' })?.data || null; } catch { return null; }
  };
  // A clean render is read at one pixel per module first (a small one framed, too); anything
  // else, or a miss, takes the general path: alpha over white, the image as it is, then framed
  // in the background's colour and in the other one.
  const grid = moduleImage({ data: new Uint8ClampedArray(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length), width: decoded.width, height: decoded.height });
  const fast = grid && (scan(grid) ?? scan(framed(grid, [grid.data[0]!, grid.data[1]!, grid.data[2]!])));
  if (fast) return fast;
  const img = overWhite(decoded.data, decoded.width, decoded.height);
  const [bg, other] = palette(img);
  for (const make of [() => img, () => framed(img, bg), () => framed(img, other)]) {
    const text = scan(make());
    if (text) return text;
  }
  throw new HostError('E_QR_UNREADABLE', 'no readable QR code in the image (try a sharper or larger screenshot)');
}
