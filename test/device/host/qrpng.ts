// PNG makers for the QR suites: qrcode-package codes in every shape, and hand-built hostile files.
import { crc32, deflateSync } from 'node:zlib';
import QR from 'qrcode';
import { PNG } from 'pngjs';

export const AWS_URI = 'otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=' +
  'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Amazon%20Web%20Services';

export interface Shape { scale: number; margin: number; dark?: string; light?: string; ecl?: 'L' | 'M' | 'Q' | 'H' }

export const qrPng = (text: string, s: Shape): Promise<Buffer> =>
  QR.toBuffer(text, {
    type: 'png', scale: s.scale, margin: s.margin, errorCorrectionLevel: s.ecl ?? 'M',
    color: { dark: s.dark ?? '#000000ff', light: s.light ?? '#ffffffff' },
  });

/** Re-encodes a PNG as greyscale (0) or RGB (2), 8 bits, with pngjs. */
export function reencode(png: Buffer, colorType: 0 | 2): Buffer {
  return PNG.sync.write(PNG.sync.read(png), { colorType, inputHasAlpha: true });
}

/** Re-encodes a PNG as 16-bit RGBA, by hand (pngjs would want 16-bit input). */
export function sixteenBit(png: Buffer): Buffer {
  const img = PNG.sync.read(png), w = img.width;
  const raw = Buffer.alloc(img.height * (1 + w * 8));
  for (let y = 0; y < img.height; y++) {
    for (let i = 0; i < w * 4; i++) raw.writeUInt16BE(img.data[y * w * 4 + i]! * 257, y * (1 + w * 8) + 1 + i * 2);
  }
  const out = rawPng(w, img.height, deflateSync(raw));
  out[24] = 16; // bit depth, then the IHDR CRC again
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(out.subarray(12, 29)) >>> 0); crc.copy(out, 29);
  return out;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
}

/** A PNG built by hand: any IHDR, any IDAT payload (already deflated). */
export function rawPng(
  width: number, height: number, idat: Uint8Array, o: { interlace?: boolean; colorType?: number } = {},
): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = o.colorType ?? 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = o.interlace ? 1 : 0;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]);
}

/** A decompression bomb for pngjs (no size cap): small on disk, 8000×8000 declared. */
export const bomb = (): Buffer => rawPng(8000, 8000, deflateSync(Buffer.alloc(4 << 20)));

// Hostile shapes: small files whose pixels cost a QR search minutes of CPU if nothing bounds it.

/** A greyscale PNG from a pixel function (8-bit, filter 0 on every row). */
export function greyPng(w: number, h: number, px: (x: number, y: number) => number, level = 9): Buffer {
  const raw = Buffer.alloc(h * (w + 1));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[y * (w + 1) + 1 + x] = px(x, y);
  return rawPng(w, h, deflateSync(raw, { level }), { colorType: 0 });
}

/** A black-and-white checkerboard of `cell`-pixel squares. */
export const checkerboard = (size = 4000, cell = 1): Buffer =>
  greyPng(size, size, (x, y) => ((Math.floor(x / cell) + Math.floor(y / cell)) & 1 ? 255 : 0));

/** QR finder patterns (7×7 modules: 1:1:3:1:1 both ways) tiled edge to edge with a 1-module gap. */
export function finderTiling(size = 4000, mod = 2): Buffer {
  return greyPng(size, size, (x, y) => {
    const mx = Math.floor(x / mod) % 8, my = Math.floor(y / mod) % 8;
    if (mx === 7 || my === 7) return 255;
    const d = Math.max(Math.abs(mx - 3), Math.abs(my - 3));
    return d === 2 ? 255 : 0;
  });
}

/** Seeded noise (xorshift32), so a failure reproduces: grey levels, or black and white only. */
export function noise(w: number, h: number, o: { binary?: boolean; seed?: number } = {}): Buffer {
  let s = (o.seed ?? 0x9e3779b9) >>> 0;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  return greyPng(w, h, o.binary ? () => (next() & 0x10000 ? 255 : 0) : () => next() & 0xff, 1);
}

/**
 * A QR code drawn the way a camera or a resampling viewer leaves it: modules of a fractional size
 * with anti-aliased edges (each pixel is the share of dark it covers), `dark` on `light`, placed at
 * (x, y) of a w×h canvas. No pixel grid to find, so the reader must take its general path.
 */
export function smoothQr(
  text: string, o: { w: number; h: number; x: number; y: number; module: number; dark?: number[]; light?: number[] },
): Buffer {
  const m = QR.create(text, { errorCorrectionLevel: 'M' }).modules, n = m.size;
  const dark = o.dark ?? [20, 30, 90], light = o.light ?? [235, 232, 220];
  const png = new PNG({ width: o.w, height: o.h });
  // Per axis, each pixel overlaps at most two modules: the first one's index and both shares.
  const axis = (len: number, at: number) => {
    const q = new Int32Array(len), s0 = new Float64Array(len), s1 = new Float64Array(len);
    for (let p = 0; p < len; p++) {
      const k = Math.floor((p - at) / o.module), edge = at + (k + 1) * o.module;
      q[p] = k; s0[p] = Math.min(1, Math.max(0, edge - p)); s1[p] = 1 - s0[p]!;
    }
    return { q, s0, s1 };
  };
  const X = axis(o.w, o.x), Y = axis(o.h, o.y);
  const on = (qx: number, qy: number) => (qx >= 0 && qy >= 0 && qx < n && qy < n && m.data[qy * n + qx] ? 1 : 0);
  for (let py = 0; py < o.h; py++) {
    const qy = Y.q[py]!, wy0 = Y.s0[py]!, wy1 = Y.s1[py]!;
    for (let px = 0; px < o.w; px++) {
      const qx = X.q[px]!, wx0 = X.s0[px]!, wx1 = X.s1[px]!;
      const share = on(qx, qy) * wx0 * wy0 + on(qx + 1, qy) * wx1 * wy0 + on(qx, qy + 1) * wx0 * wy1 +
        on(qx + 1, qy + 1) * wx1 * wy1;
      const i = (py * o.w + px) * 4;
      for (let c = 0; c < 3; c++) png.data[i + c] = Math.round(light[c]! + (dark[c]! - light[c]!) * share);
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}
