// A PNG holding a QR code of an otpauth:// URI (a screenshot, or AWS's QRCodePNG).
import { HostError } from '../errors.js';
import { isPng, readQr } from '../qr.js';
import type { Source } from './source.js';
import { fromUri } from './uri.js';

export const qrPngSource: Source = {
  name: 'QR code PNG',
  sniff: isPng,
  async read(b) {
    const text = await readQr(b);
    if (!/^otpauth:\/\//i.test(text.trim())) {
      throw new HostError('E_QR_UNREADABLE', `the QR code holds ${/^otpauth-migration:/i.test(text) ? 'a Google Authenticator export' : 'something other than an otpauth:// URI'}`);
    }
    return fromUri(text.trim());
  },
};
