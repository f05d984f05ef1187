// A KeyPackage's Data values read (RFC 6030 §4.3, §6): PlainValue, or EncryptedValue under the
// file's pre-shared or PBKDF2-derived key, its ValueMAC checked before it is decrypted. The
// cryptography of §6 is on node:crypto: the ciphers and MACs PSKC files use, PBKDF2 (PKCS #5 v2.0)
// for password-derived keys, constant-time MAC checks, and null where the key is wrong (bad
// padding, failed key-wrap integrity check). Errors name the KeyPackage (Place) and never hold
// key material.
import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { PskcError, type PskcCode } from './errors.js';
import { attr, child, textOf, type XmlElement } from './pskc-xml.js';

export interface Cipher { uri: string; mode: 'cbc' | 'kw'; keyLength: number; label: string }

/** XML Encryption 1.0 block ciphers: AES-CBC (IV first) and the RFC 3394 AES key wrap. */
const CIPHERS = new Map<string, Omit<Cipher, 'uri'>>([
  ['http://www.w3.org/2001/04/xmlenc#aes128-cbc', { mode: 'cbc', keyLength: 16, label: 'AES-128-CBC' }],
  ['http://www.w3.org/2001/04/xmlenc#aes192-cbc', { mode: 'cbc', keyLength: 24, label: 'AES-192-CBC' }],
  ['http://www.w3.org/2001/04/xmlenc#aes256-cbc', { mode: 'cbc', keyLength: 32, label: 'AES-256-CBC' }],
  ['http://www.w3.org/2001/04/xmlenc#kw-aes128', { mode: 'kw', keyLength: 16, label: 'AES-128 key wrap' }],
  ['http://www.w3.org/2001/04/xmlenc#kw-aes192', { mode: 'kw', keyLength: 24, label: 'AES-192 key wrap' }],
  ['http://www.w3.org/2001/04/xmlenc#kw-aes256', { mode: 'kw', keyLength: 32, label: 'AES-256 key wrap' }],
]);

export function cipherOf(uri: string): Cipher | undefined {
  const c = CIPHERS.get(uri);
  return c && { uri, ...c };
}

export type Hash = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
/** HMAC URIs from XML Signature (hmac-sha1) and RFC 6931 (the others). */
const HMACS = new Map<string, Hash>([
  ['http://www.w3.org/2000/09/xmldsig#hmac-sha1', 'sha1'],
  ['http://www.w3.org/2001/04/xmldsig-more#hmac-sha224', 'sha224'],
  ['http://www.w3.org/2001/04/xmldsig-more#hmac-sha256', 'sha256'],
  ['http://www.w3.org/2001/04/xmldsig-more#hmac-sha384', 'sha384'],
  ['http://www.w3.org/2001/04/xmldsig-more#hmac-sha512', 'sha512'],
]);
export const hmacOf = (uri: string): Hash | undefined => HMACS.get(uri);

/** PBKDF2 work is paid before anything can be checked: cap it (OWASP's 2023 advice tops out at 1.3M for SHA-1). */
export const MAX_PBKDF2_ITERATIONS = 2_000_000;
export const PBKDF2_URIS = new Set([
  'http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2',
  'http://www.w3.org/2009/xmlenc11#pbkdf2',
]);

/** RFC 8018 §5.2 with the password as UTF-8 (python-pskc and libpskc do the same). */
export function pbkdf2(
  password: string, salt: Uint8Array, iterations: number, keyLength: number, prf: Hash,
): Uint8Array {
  return new Uint8Array(pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, keyLength, prf));
}

const KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

/** Why a CipherValue cannot be ciphertext of this cipher at all (the file is damaged), or undefined. */
export function shapeProblem(c: Cipher, data: Uint8Array): string | undefined {
  if (c.mode === 'cbc' && (data.length < 32 || data.length % 16)) {
    return `${data.length} bytes, not a 16-byte IV and whole AES blocks`;
  }
  if (c.mode === 'kw' && (data.length < 24 || data.length % 8)) return `${data.length} bytes, not an RFC 3394 wrap`;
  return undefined;
}

/** The plaintext, or null when the key is wrong (padding or key-wrap integrity check failed). */
export function decrypt(c: Cipher, key: Uint8Array, data: Uint8Array): Uint8Array | null {
  const bits = c.keyLength * 8;
  try {
    const d = c.mode === 'cbc'
      ? createDecipheriv(`aes-${bits}-cbc`, key, data.subarray(0, 16))
      : createDecipheriv(`id-aes${bits}-wrap`, key, KW_IV);
    const body = c.mode === 'cbc' ? data.subarray(16) : data;
    return new Uint8Array(Buffer.concat([d.update(body), d.final()]));
  } catch {
    return null;
  }
}

/** RFC 6030 §6.1.1: ValueMAC is the HMAC of the whole CipherValue (IV and ciphertext), compared in constant time. */
export function macMatches(hash: Hash, key: Uint8Array, data: Uint8Array, mac: Uint8Array): boolean {
  const want = createHmac(hash, key).update(data).digest();
  return want.length === mac.length && timingSafeEqual(want, mac);
}

/** Strings from the file, made safe to print: no control characters, bounded. */
/** `KeyPackage 3 (Id '…', serial '…')`: how every message names a KeyPackage. */
export function packageName(index: number, id?: string, serial?: string): string {
  const names = [
    ...(id !== undefined ? [`Id ${shown(id)}`] : []), ...(serial !== undefined ? [`serial ${shown(serial)}`] : []),
  ];
  return `KeyPackage ${index}${names.length ? ` (${names.join(', ')})` : ''}`;
}

export function shown(s: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '?');
  return `'${clean.length > 64 ? `${clean.slice(0, 61)}...` : clean}'`;
}

/** A KeyPackage, for messages: "KeyPackage 3 (Id '…', serial '…')". */
export class Place {
  readonly id?: string; readonly serial?: string;
  constructor(readonly index: number, p: XmlElement) {
    const k = child(p, 'Key');
    const id = k && attr(k, 'Id')?.trim();
    const serial = textOf(child(p, 'DeviceInfo'), 'SerialNo');
    if (id) this.id = id;
    if (serial) this.serial = serial;
  }
  fail(code: PskcCode, why: string): never {
    throw new PskcError(code, `${packageName(this.index, this.id, this.serial)}: ${why}`,
      { packageIndex: this.index, ...(this.id !== undefined ? { keyId: this.id } : {}) });
  }
}

/** What an encrypted file is opened with. */
export interface FileSecrets {
  /** The pre-shared key (EncryptionKey/KeyName); also accepted for a password file, as the derived key. */
  key?: Uint8Array;
  /** The passphrase of a PBKDF2 DerivedKey. */
  password?: string;
}

const WRONG = 'wrong --pskc-key or --pskc-password (or the file is damaged)';

/** The file's encryption and MAC keys, worked out once, when the first encrypted value needs them. */
export class FileKeys {
  private master?: Uint8Array;
  private derived = false;
  private mac?: { hash: Hash; key: Uint8Array };
  constructor(private readonly root: XmlElement, private readonly o: FileSecrets) {}

  private masterKey(at: Place): Uint8Array {
    if (this.master) return this.master;
    const ek = child(this.root, 'EncryptionKey');
    const derived = child(ek, 'DerivedKey');
    if (ek && !derived && !child(ek, 'KeyName')) {
      const under = ek.children.map((c) => c.name).join('/');
      at.fail('E_PSKC_UNSUPPORTED', `its values are encrypted under ${under ? shown(under) : 'an unnamed key'} ` +
        '(e.g. a certificate; only a pre-shared key or a PBKDF2 password is supported)');
    }
    if (derived && this.o.password !== undefined) {
      this.derived = true;
      return (this.master = this.derive(derived, at));
    }
    if (this.o.key) return (this.master = this.o.key);
    if (derived) at.fail('E_PSKC_KEY', 'the file is encrypted with a password: give --pskc-password');
    at.fail('E_PSKC_KEY', 'the file is encrypted with a pre-shared key' +
      (this.o.password !== undefined ? ', not a password' : '') + ': give --pskc-key HEX');
  }

  private derive(derived: XmlElement, at: Place): Uint8Array {
    const method = child(derived, 'KeyDerivationMethod');
    const uri = method && attr(method, 'Algorithm');
    if (!uri || !PBKDF2_URIS.has(uri)) {
      at.fail('E_PSKC_UNSUPPORTED', `key derivation ${shown(uri ?? '(none)')} (only PBKDF2)`);
    }
    const params = child(method, 'PBKDF2-params');
    const salt = textOf(child(params, 'Salt'), 'Specified');
    if (salt === undefined) at.fail('E_PSKC_UNSUPPORTED', 'a PBKDF2 salt that is not Salt/Specified');
    const iterations = decimal(textOf(params, 'IterationCount'), at, 'PBKDF2 IterationCount');
    if (iterations === undefined || iterations < 1) at.fail('E_PSKC_XML', 'PBKDF2 IterationCount is missing or zero');
    if (iterations > MAX_PBKDF2_ITERATIONS) {
      at.fail('E_PSKC_LIMIT',
        `PBKDF2 IterationCount ${iterations} is above ${MAX_PBKDF2_ITERATIONS} (refused: CPU cost)`);
    }
    const cipher = this.fileCipher();
    const length = decimal(textOf(params, 'KeyLength'), at, 'PBKDF2 KeyLength') ?? cipher?.keyLength ?? 16;
    if (length < 16 || length > 64) at.fail('E_PSKC_XML', `PBKDF2 KeyLength ${length} (16 to 64 bytes)`);
    const prfUri = child(params, 'PRF') && attr(child(params, 'PRF')!, 'Algorithm');
    const prf = prfUri ? hmacOf(prfUri) : 'sha1';
    if (!prf) at.fail('E_PSKC_UNSUPPORTED', `PBKDF2 PRF ${shown(prfUri!)}`);
    return pbkdf2(this.o.password!, base64(salt, at, 'the PBKDF2 salt'), iterations, length, prf);
  }

  private fileCipher() {
    const find = (el: XmlElement): XmlElement | undefined =>
      el.name === 'EncryptionMethod' ? el : el.children.map(find).find(Boolean);
    const m = find(this.root);
    return m && cipherOf(attr(m, 'Algorithm') ?? '');
  }

  private macKey(at: Place): { hash: Hash; key: Uint8Array } {
    if (this.mac) return this.mac;
    const method = child(this.root, 'MACMethod');
    if (!method) at.fail('E_PSKC_MAC', 'it carries a ValueMAC but the file has no MACMethod');
    const uri = attr(method, 'Algorithm') ?? '';
    const hash = hmacOf(uri);
    if (!hash) at.fail('E_PSKC_UNSUPPORTED', `MAC algorithm ${shown(uri)}`);
    const wrapped = child(method, 'MACKey');
    // Drafts before RFC 6030 had no MACKey and MACed with the encryption key itself.
    const key = wrapped ? this.open(wrapped, at, 'the MACKey') : this.masterKey(at);
    return (this.mac = { hash, key });
  }

  /** An EncryptedValue (or MACKey) opened: its ValueMAC (from `holder`) checked first, then decrypted. */
  open(ev: XmlElement, at: Place, what: string, holder?: XmlElement): Uint8Array {
    const uri = attr(child(ev, 'EncryptionMethod') ?? ev, 'Algorithm');
    const cipher = cipherOf(uri ?? '');
    if (!cipher) at.fail('E_PSKC_UNSUPPORTED', `${what} is encrypted with ${shown(uri ?? '(no EncryptionMethod)')}`);
    const cv = textOf(child(ev, 'CipherData'), 'CipherValue');
    if (cv === undefined) at.fail('E_PSKC_UNSUPPORTED', `${what} has no CipherData/CipherValue`);
    const data = base64(cv, at, `${what}'s CipherValue`);
    const bad = shapeProblem(cipher, data);
    if (bad) at.fail('E_PSKC_XML', `${what}'s CipherValue is ${bad} (the file is damaged)`);
    const key = this.masterKey(at);
    if (key.length !== cipher.keyLength) {
      at.fail('E_PSKC_KEY', `the file uses ${cipher.label}, which takes a ${cipher.keyLength}-byte key; ` +
        (this.derived ? `the PBKDF2 KeyLength is ${key.length}` : `the key given has ${key.length} bytes`));
    }
    const macText = holder && textOf(holder, 'ValueMAC');
    if (macText !== undefined) {
      const mac = this.macKey(at);
      if (!macMatches(mac.hash, mac.key, data, base64(macText, at, `${what}'s ValueMAC`))) {
        // A MACKey under the wrong key almost always fails its padding (reported as wrong key, above);
        // one that decrypted means the key is right and this value was altered.
        if (!child(child(this.root, 'MACMethod'), 'MACKey')) {
          at.fail('E_PSKC_KEY', `${WRONG}: ${what}'s MAC does not match`);
        }
        at.fail('E_PSKC_MAC', `${what}'s ValueMAC does not match: the file was altered or damaged ` +
          '(or, if every KeyPackage says so, the key or password is wrong)');
      }
    } else if (cipher.mode === 'cbc' && holder) {
      at.fail('E_PSKC_MAC', `${what} carries no ValueMAC, which RFC 6030 §6.1.1 requires with ${cipher.label}`);
    }
    const plain = decrypt(cipher, key, data);
    if (!plain) at.fail('E_PSKC_KEY', `${WRONG}: ${what} does not decrypt`);
    return plain;
  }
}

export function base64(s: string, at: Place, what: string): Uint8Array {
  const b = s.replace(/[ \t\r\n]+/g, '');
  if (b.length % 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b)) at.fail('E_PSKC_XML', `${what} is not base64`);
  return new Uint8Array(Buffer.from(b, 'base64'));
}

export function decimal(s: string | undefined, at: Place, what: string, signed = false): number | undefined {
  if (s === undefined) return undefined;
  if (!(signed ? /^[-+]?\d{1,20}$/ : /^\+?\d{1,20}$/).test(s)) {
    at.fail('E_PSKC_XML', `${what} is not ${signed ? 'an' : 'a whole'} integer`);
  }
  const n = Number(s);
  if (!Number.isSafeInteger(n)) at.fail('E_PSKC_UNSUPPORTED', `${what} is beyond 2^53`);
  return n;
}

/** A Data field: PlainValue, or EncryptedValue (+ ValueMAC). Secrets are bytes; the rest integers. */
export function dataValue(
  data: XmlElement | undefined, name: string, at: Place, file: FileKeys,
): string | Uint8Array | undefined {
  const el = child(data, name);
  if (!el) return undefined;
  const plain = textOf(el, 'PlainValue'), ev = child(el, 'EncryptedValue');
  if (plain !== undefined && ev) at.fail('E_PSKC_XML', `its ${name} has both PlainValue and EncryptedValue`);
  if (ev) return file.open(ev, at, `its ${name}`, el);
  if (plain === undefined) at.fail(name === 'Secret' ? 'E_PSKC_NO_SECRET' : 'E_PSKC_XML', `its ${name} holds no value`);
  return plain;
}

export function integer(
  data: XmlElement | undefined, name: string, at: Place, file: FileKeys, signed = false,
): number | undefined {
  const v = dataValue(data, name, at, file);
  if (typeof v === 'string' || v === undefined) return decimal(v, at, `its ${name}`, signed);
  // Encrypted integers are ASCII digits or big-endian binary (python-pskc reads both).
  const digits = Buffer.from(v).toString('latin1');
  if (/^\d{1,20}$/.test(digits)) return decimal(digits, at, `its ${name}`);
  const n = v.reduce((n, b) => n * 256n + BigInt(b), 0n);
  if (v.length > 8 || n > BigInt(Number.MAX_SAFE_INTEGER)) at.fail('E_PSKC_UNSUPPORTED', `its ${name} is beyond 2^53`);
  return Number(n);
}

