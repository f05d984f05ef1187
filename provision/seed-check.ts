// CreateVirtualMFADevice hands back the seed twice: Base32StringSeed, and a QR PNG of an otpauth
// URI. We burn the seed and use the QR as a cross-check (no other tool decodes
// QRCodePNG and compares it with Base32StringSeed).
import { timingSafeEqual } from 'node:crypto';
import { base32Decode, parseKeyUri } from '../device/core/index.js';
import { isPng } from '../device/host/qr.js';
import { ProvisionError } from './errors.js';

export interface Bootstrap {
  secret: Uint8Array;
  /** The QR's label, when the PNG held a readable QR. */
  label?: { issuer?: string; account: string };
  warnings: string[];
}


/** The SDK hands blobs back base64-decoded: the seed's bytes are base32 ASCII text, any length. */
export function decodeSeed(seed: Uint8Array | undefined): Uint8Array {
  if (!seed || seed.length === 0) throw new ProvisionError('E_SEED',
    'CreateVirtualMFADevice returned no Base32StringSeed');
  let key: Uint8Array;
  // The core's message names the bad character; a seed's characters must not reach stderr.
  try { key = base32Decode(new TextDecoder('latin1').decode(seed)); } catch {
    throw new ProvisionError('E_SEED', `Base32StringSeed (${seed.length} bytes) is not base32 text`);
  }
  if (key.length === 0) throw new ProvisionError('E_SEED', 'Base32StringSeed decodes to an empty key');
  return key;
}

export const sameSecret = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b);

export type QrReader = (png: Uint8Array) => Promise<string> | string;

/**
 * Decodes the seed, reads the QR with the token's hardened reader and compares the two secrets in
 * constant time. QR bytes that are no PNG (moto: 64 random bytes) or a PNG without a readable code
 * (LocalStack: a 1×1 placeholder) only warn; a QR that says something else aborts.
 */
export async function bootstrap(seed: Uint8Array | undefined, png: Uint8Array | undefined,
  readQr: QrReader): Promise<Bootstrap> {
  const secret = decodeSeed(seed);
  const warnings: string[] = [];
  if (!png || png.length === 0) {
    warnings.push('no QRCodePNG came back: using Base32StringSeed alone');
    return { secret, warnings };
  }
  if (!isPng(png)) {
    warnings.push(
      `QRCodePNG is not a PNG (${png.length} bytes; moto sends random bytes): using Base32StringSeed alone`);
    return { secret, warnings };
  }
  let text: string;
  try { text = await readQr(png); } catch (e) {
    const why = (e as Error).message.replace(/\s+/g, ' ');
    warnings.push(`QRCodePNG holds no readable QR code (${why}): using Base32StringSeed alone`);
    return { secret, warnings };
  }
  let uri;
  try { uri = parseKeyUri(text); } catch (e) {
    const m = (e as Error).message;
    throw new ProvisionError('E_QR_URI',
      `the QR code is not a usable otpauth URI (${/secret/i.test(m) ? 'bad secret' : m}): not enrolling`);
  }
  if (uri.type !== 'totp' || uri.algorithm !== 'SHA1' || uri.digits !== 6 || uri.period !== 30) {
    throw new ProvisionError('E_QR_URI',
      `the QR code asks for ${uri.type} ${uri.algorithm} ${uri.digits} digits ${uri.period} s; ` +
      `AWS verifies TOTP SHA1 ` +
      `6 digits 30 s: not enrolling`);
  }
  if (!sameSecret(uri.secret, secret)) {
    throw new ProvisionError('E_QR_MISMATCH',
      'the QR code carries a different secret than Base32StringSeed: not enrolling');
  }
  warnings.push(...uri.warnings);
  return { secret, label: { issuer: uri.issuer, account: uri.account }, warnings };
}
