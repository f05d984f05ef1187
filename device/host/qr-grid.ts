// A clean QR symbol read straight off its module grid (one pixel per module, two colours): the
// structure is checked module by module and every block's Reed-Solomon syndromes must be zero, so
// there is nothing to search and nothing to correct. jsQR spends ~1.7 ms finding finder patterns in
// a 57-module grid; this takes a few hundredths of that. Anything it does not vouch for exactly (a
// damaged, mirrored or rotated symbol, Kanji, ECI, a byte segment that is not UTF-8) is left to jsQR:
// null, never a guess. Layout and tables: ISO/IEC 18004:2015 §7 (as Project Nayuki's encoder draws it).

/** Error correction codewords per block, then the number of blocks, per version (1-40) × level L M Q H. */
const ECC_PER_BLOCK = [
  7, 10, 13, 17, 10, 16, 22, 28, 15, 26, 18, 22, 20, 18, 26, 16, 26, 24, 18, 22, 18, 16, 24, 28, 20, 18, 18, 26, 24,
  22, 22, 26, 30, 22, 20, 24, 18, 26, 24, 28, 20, 30, 28, 24, 24, 22, 26, 28, 26, 22, 24, 22, 30, 24, 20, 24, 22, 24,
  30, 24, 24, 28, 24, 30, 28, 28, 28, 28, 30, 26, 28, 28, 28, 26, 26, 26, 28, 26, 30, 28, 28, 26, 28, 30, 28, 28, 30,
  24, 30, 28, 30, 30, 30, 28, 30, 30, 26, 28, 30, 30, 28, 28, 28, 30, 30, 28, 30, 30, 30, 28, 30, 30, 30, 28, 30, 30,
  30, 28, 30, 30, 30, 28, 30, 30, 30, 28, 30, 30, 30, 28, 30, 30, 30, 28, 30, 30, 30, 28, 30, 30, 30, 28, 30, 30, 30,
  28, 30, 30, 30, 28, 30, 30, 30, 28, 30, 30, 30, 28, 30, 30,
];
const BLOCKS = [
  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 1, 2, 2, 4, 1, 2, 4, 4, 2, 4, 4, 4, 2, 4, 6, 5, 2, 4, 6, 6, 2, 5, 8, 8, 4, 5, 8,
  8, 4, 5, 8, 11, 4, 8, 10, 11, 4, 9, 12, 16, 4, 9, 16, 16, 6, 10, 12, 18, 6, 10, 17, 16, 6, 11, 16, 19, 6, 13, 18, 21,
  7, 14, 21, 25, 8, 16, 20, 25, 8, 17, 23, 25, 9, 17, 23, 34, 9, 18, 25, 30, 10, 20, 27, 32, 12, 21, 29, 35, 12, 23, 34,
  37, 12, 25, 34, 40, 13, 26, 35, 42, 14, 28, 38, 45, 15, 29, 40, 48, 16, 31, 43, 51, 17, 33, 45, 54, 18, 35, 48, 57,
  19, 37, 51, 60, 19, 38, 53, 63, 20, 40, 56, 66, 21, 43, 59, 70, 22, 45, 62, 74, 24, 47, 65, 77, 25, 49, 68, 81,
];
/** The format field's 2-bit level code, indexed L M Q H. */
const LEVEL_BITS = [1, 0, 3, 2];

// GF(256) over x^8 + x^4 + x^3 + x^2 + 1, as QR's Reed-Solomon code uses.
const EXP = new Uint8Array(512), LOG = new Uint8Array(256);
for (let i = 0, x = 1; i < 255; i++) { EXP[i] = x; LOG[x] = i; x = (x << 1) ^ (x & 0x80 ? 0x11d : 0); }
for (let i = 255; i < 512; i++) EXP[i] = EXP[i - 255]!;

/** True when the codeword polynomial is divisible by the generator (roots α^0 … α^(ecc-1)). */
function syndromesZero(block: Uint8Array, ecc: number): boolean {
  for (let i = 0; i < ecc; i++) {
    let s = 0;
    for (const c of block) s = (s ? EXP[LOG[s]! + i]! : 0) ^ c;
    if (s) return false;
  }
  return true;
}

/** The 15 format bits for a level index (L M Q H) and mask, BCH-coded and masked with 0x5412. */
function formatBits(level: number, mask: number): number {
  const data = (LEVEL_BITS[level]! << 3) | mask;
  let rem = data;
  for (let i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  return ((data << 10) | rem) ^ 0x5412;
}

function versionBits(v: number): number {
  let rem = v;
  for (let i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
  return (v << 12) | rem;
}

function alignmentPositions(v: number): number[] {
  if (v === 1) return [];
  const n = Math.floor(v / 7) + 2, size = v * 4 + 17;
  const step = v === 32 ? 26 : Math.ceil((v * 4 + 4) / (n * 2 - 2)) * 2;
  const out = [6];
  for (let p = size - 7; out.length < n; p -= step) out.splice(1, 0, p);
  return out;
}

const MASKS: ((x: number, y: number) => boolean)[] = [
  (x, y) => (x + y) % 2 === 0, (_, y) => y % 2 === 0, (x) => x % 3 === 0, (x, y) => (x + y) % 3 === 0,
  (x, y) => (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0, (x, y) => ((x * y) % 2) + ((x * y) % 3) === 0,
  (x, y) => (((x * y) % 2) + ((x * y) % 3)) % 2 === 0, (x, y) => (((x + y) % 2) + ((x * y) % 3)) % 2 === 0,
];

/**
 * The text of the one QR symbol in `dark` (size × size modules of the whole picture, 1 = dark), or
 * null unless every function pattern, both format copies, the version fields and every block's
 * check codewords are exact, and every segment is numeric, alphanumeric or UTF-8 bytes.
 */
export function readSymbol(dark: Uint8Array, width: number, height: number): string | null {
  // The symbol is the dark modules' bounding box: the three finder patterns reach its corners.
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (dark[y * width + x]) { if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y; }
    }
  }
  const size = x1 - x0 + 1;
  if (x1 < 0 || size !== y1 - y0 + 1 || size < 21 || size > 177 || (size - 17) % 4) return null;
  const v = (size - 17) / 4;
  const at = (x: number, y: number) => dark[(y0 + y) * width + x0 + x]!;

  // Function patterns, drawn in an encoder's order (later ones overwrite), then compared module by module.
  const fn = new Uint8Array(size * size), want = new Uint8Array(size * size);
  const draw = (x: number, y: number, d: boolean | number) => { fn[y * size + x] = 1; want[y * size + x] = d ? 2 : 1; };
  for (let i = 0; i < size; i++) { draw(6, i, i % 2 === 0); draw(i, 6, i % 2 === 0); }
  for (const [cx, cy] of [[3, 3], [size - 4, 3], [3, size - 4]] as const) {
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -4; dx <= 4; dx++) {
        const x = cx + dx, y = cy + dy, r = Math.max(Math.abs(dx), Math.abs(dy));
        if (x >= 0 && x < size && y >= 0 && y < size) draw(x, y, r !== 2 && r !== 4);
      }
    }
  }
  const al = alignmentPositions(v), last = al.length - 1;
  for (let i = 0; i <= last; i++) {
    for (let j = 0; j <= last; j++) {
      if ((i === 0 && j === 0) || (i === 0 && j === last) || (i === last && j === 0)) continue;
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) draw(al[i]! + dx, al[j]! + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
      }
    }
  }
  if (v >= 7) {
    const vb = versionBits(v);
    for (let i = 0; i < 18; i++) {
      const a = size - 11 + (i % 3), b = Math.floor(i / 3), d = (vb >>> i) & 1;
      draw(a, b, d); draw(b, a, d);
    }
  }
  // Both format copies, bit i of each, read where an encoder writes bit i; then the dark module.
  let f1 = 0, f2 = 0;
  const bit = (x: number, y: number) => { fn[y * size + x] = 1; want[y * size + x] = 0; return at(x, y); };
  for (let i = 0; i < 15; i++) {
    const [ax, ay] = i < 6 ? [8, i] : i === 6 ? [8, 7] : i === 7 ? [8, 8] : i === 8 ? [7, 8] : [14 - i, 8];
    const [bx, by] = i < 8 ? [size - 1 - i, 8] : [8, size - 15 + i];
    f1 |= bit(ax, ay) << i; f2 |= bit(bx, by) << i;
  }
  draw(8, size - 8, true);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const w = want[y * size + x]!;
      if (w && at(x, y) !== w - 1) return null;
    }
  }
  if (f1 !== f2) return null;
  let level = -1, mask = -1;
  for (let l = 0; l < 4 && level < 0; l++) {
    for (let m = 0; m < 8; m++) if (formatBits(l, m) === f1) { level = l; mask = m; }
  }
  if (level < 0) return null;

  // Codewords, read in the zigzag an encoder fills them, unmasked; remainder bits are ignored.
  let raw = (16 * v + 128) * v + 64;
  if (v >= 2) { const n = Math.floor(v / 7) + 2; raw -= (25 * n - 10) * n - 55; }
  if (v >= 7) raw -= 36;
  const total = raw >>> 3;
  const words = new Uint8Array(total), isMasked = MASKS[mask]!;
  let k = 0;
  for (let right = size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;
    for (let vert = 0; vert < size; vert++) {
      for (let j = 0; j < 2; j++) {
        const x = right - j, y = ((right + 1) & 2) === 0 ? size - 1 - vert : vert;
        if (fn[y * size + x] || k >= total * 8) continue;
        if (at(x, y) ^ (isMasked(x, y) ? 1 : 0)) words[k >>> 3]! |= 0x80 >>> (k & 7);
        k++;
      }
    }
  }

  // De-interleave: short blocks first, long ones one data codeword longer; check each block.
  const ti = (v - 1) * 4 + level, nb = BLOCKS[ti]!, ecc = ECC_PER_BLOCK[ti]!;
  const short = Math.floor(total / nb), nShort = nb - (total % nb), shortData = short - ecc;
  const blocks = Array.from({ length: nb }, (_, b) => new Uint8Array(b < nShort ? short : short + 1));
  let p = 0;
  for (let i = 0; i < short + 1; i++) {
    for (let b = 0; b < nb; b++) {
      if (i === shortData && b < nShort) continue; // short blocks have no codeword here
      const blk = blocks[b]!, at2 = b < nShort && i > shortData ? i - 1 : i;
      if (at2 < blk.length) blk[at2] = words[p++]!;
    }
  }
  const data: number[] = [];
  for (let b = 0; b < nb; b++) {
    const blk = blocks[b]!;
    if (!syndromesZero(blk, ecc)) return null;
    for (let i = 0; i < blk.length - ecc; i++) data.push(blk[i]!);
  }
  return segments(data, v);
}

/** The least luminance step between the two colours read here; fainter pictures go to jsQR's binarizer. */
const MIN_CONTRAST = 64;
const luma = (c: number) => 0.2126 * (c & 0xff) + 0.7152 * ((c >>> 8) & 0xff) + 0.0722 * ((c >>> 16) & 0xff);

/**
 * A two-colour, one-pixel-per-module image (moduleImage's) read as dark modules on the colour of
 * its top-left corner; null when that reading is not exact (see readSymbol).
 */
export function readGrid(img: { data: Uint8ClampedArray; width: number; height: number }): string | null {
  const { width: w, height: h } = img;
  if (img.data.byteOffset % 4 !== 0) return null;
  const px = new Uint32Array(img.data.buffer, img.data.byteOffset, w * h);
  const bg = px[0]!;
  let fg = bg;
  for (let i = 1; i < px.length && fg === bg; i++) fg = px[i]!;
  if (luma(bg) - luma(fg) < MIN_CONTRAST) return null;
  const dark = new Uint8Array(w * h);
  for (let i = 0; i < px.length; i++) {
    if (px[i] === fg) dark[i] = 1;
    else if (px[i] !== bg) return null;
  }
  return readSymbol(dark, w, h);
}

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The data codewords' segments as text; null for a mode or a value this reader does not vouch for. */
function segments(data: number[], v: number): string | null {
  let pos = 0;
  const avail = () => data.length * 8 - pos;
  const read = (n: number) => {
    let x = 0;
    for (let i = 0; i < n; i++, pos++) x = (x << 1) | ((data[pos >>> 3]! >>> (7 - (pos & 7))) & 1);
    return x;
  };
  const cls = v <= 9 ? 0 : v <= 26 ? 1 : 2;
  let text = '';
  while (avail() >= 4) {
    const mode = read(4);
    if (mode === 0) break;
    const countBits =
      mode === 1 ? [10, 12, 14][cls]! : mode === 2 ? [9, 11, 13][cls]! : mode === 4 ? [8, 16, 16][cls]! : 0;
    if (!countBits || avail() < countBits) return null;
    let n = read(countBits);
    if (mode === 1) {
      for (; n > 0; n -= 3) {
        const w = n >= 3 ? 10 : n === 2 ? 7 : 4;
        if (avail() < w) return null;
        const d = read(w);
        if (d >= 10 ** Math.min(n, 3)) return null;
        text += String(d).padStart(Math.min(n, 3), '0');
      }
    } else if (mode === 2) {
      for (; n > 0; n -= 2) {
        if (avail() < (n >= 2 ? 11 : 6)) return null;
        if (n >= 2) {
          const d = read(11);
          if (d >= 45 * 45) return null;
          text += ALNUM[Math.floor(d / 45)]! + ALNUM[d % 45]!;
        } else {
          const d = read(6);
          if (d >= 45) return null;
          text += ALNUM[d]!;
        }
      }
    } else {
      if (avail() < n * 8) return null;
      const bytes = new Uint8Array(n);
      for (let i = 0; i < n; i++) bytes[i] = read(8);
      try { text += utf8.decode(bytes); } catch { return null; }
    }
  }
  return text || null;
}
