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

  let x0 = -1, gx = 0, y0 = -1, gy = 0;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 1; x < w; x++) {
      if (px[row + x] !== px[row + x - 1]) { if (x0 < 0) x0 = x; else gx = gcd(gx, Math.abs(x - x0)); }
    }
  }
  for (let x = 0; x < w; x++) {
    for (let y = 1; y < h; y++) {
      if (px[y * w + x] !== px[(y - 1) * w + x]) { if (y0 < 0) y0 = y; else gy = gcd(gy, Math.abs(y - y0)); }
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
