// The QR code AWS hands out, as a PNG: qrcode computes the symbol (version, error correction,
// mask), and its modules are written straight into an 8-bit greyscale PNG with no row filter.
// qrcode's own PNG path renders RGBA image data and has pngjs repack it, three times the work
// per device for the same picture (bench/provision.ts, batch throughput).
import { deflateSync } from 'node:zlib';

const CRC = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** CRC-32 as PNG chunks carry it (ISO 3309, PNG spec §5.5). */
function crc32(b: Uint8Array): number {
  let c = -1;
  for (let i = 0; i < b.length; i++) c = CRC[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A PNG of a QR symbol: `size`×`size` modules (1 = dark, row-major), `scale` pixels each, inside a
 * quiet zone of `margin` modules (ISO/IEC 18004 asks for 4).
 */
export function symbolPng(modules: Uint8Array, size: number, scale: number, margin = 4): Buffer {
  const px = (size + 2 * margin) * scale;
  const stride = px + 1; // filter byte 0 (None), then one grey byte per pixel
  const raw = Buffer.alloc(stride * px, 255);
  for (let y = 0; y < px; y++) {
    raw[y * stride] = 0;
    const my = Math.floor(y / scale) - margin;
    if (my < 0 || my >= size) continue;
    for (let mx = 0; mx < size; mx++) {
      if (modules[my * size + mx]) raw.fill(0, y * stride + 1 + (mx + margin) * scale, y * stride + 1 +
        (mx + margin + 1) * scale);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(px, 0);
  ihdr.writeUInt32BE(px, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale; compression, filter and interlace methods 0
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(
    0))]);
}
