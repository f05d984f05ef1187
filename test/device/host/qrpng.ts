// PNG makers for the QR suites: qrcode-package codes in every shape, and hand-built hostile files.
import { crc32, deflateSync } from 'node:zlib';
import QR from 'qrcode';
import { PNG } from 'pngjs';

export const AWS_URI = 'otpauth://totp/Amazon%20Web%20Services:alice@123456789012?secret=' +
  'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Amazon%20Web%20Services';

export interface Shape { scale: number; margin: number; dark?: string; light?: string; ecl?: 'L' | 'M' | 'Q' | 'H' }

export const qrPng = (text: string, s: Shape): Promise<Buffer> =>
  QR.toBuffer(text, { type: 'png', scale: s.scale, margin: s.margin, errorCorrectionLevel: s.ecl ?? 'M', color: { dark: s.dark ?? '#000000ff', light: s.light ?? '#ffffffff' } });

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
export function rawPng(width: number, height: number, idat: Uint8Array, o: { interlace?: boolean; colorType?: number } = {}): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = o.colorType ?? 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = o.interlace ? 1 : 0;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]);
}

/** The decompression bomb of js-ecosystem.md §4: small on disk, 8000×8000 declared. */
export const bomb = (): Buffer => rawPng(8000, 8000, deflateSync(Buffer.alloc(4 << 20)));
