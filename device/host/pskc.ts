// PSKC (RFC 6030) seed files, as hardware-token vendors ship them, read into enrollments.
// Only HOTP and TOTP keys with decimal responses; plain values, or values encrypted under a
// pre-shared key or a PBKDF2 password-derived key, with every ValueMAC checked before decrypting.
// All or nothing: the first KeyPackage at fault refuses the file, and the error names it.
import { type Algorithm } from '../core/index.js';
import type { Enrollment } from './enrollment.js';
import { PskcError } from './errors.js';
import { FileKeys, Place, base64, dataValue, decimal, integer, shown, type FileSecrets } from './pskc-values.js';
import { attr, child, childrenNamed, readXml, textOf, type XmlElement } from './pskc-xml.js';

export { PskcError } from './errors.js';
export { PSKC_LIMITS } from './pskc-xml.js';

export interface PskcOptions extends FileSecrets {
  /** Only the KeyPackage(s) with this SerialNo (or, lacking one, Key Id); the others are not decrypted. */
  serial?: string;
  /** Unix ms for Policy dates (default now). */
  now?: number;
}

export interface PskcKey {
  /** 1-based position in the file, for messages. */
  packageIndex: number;
  id: string;
  serial?: string; manufacturer?: string; model?: string; issuer?: string; userId?: string; friendlyName?: string;
  enrollment: Enrollment;
  /** TimeDrift: intervals the server measured the device off by (not applied: the token's clock is set by the host). */
  timeDrift?: number;
  /** Time: always 0 or absent here, since the token counts TOTP steps from the Unix epoch. */
  startTime?: number;
  /** Policy (or DeviceInfo) StartDate/ExpiryDate, ISO 8601 as written. */
  startDate?: string; expiryDate?: string;
  /** Accepted but worth saying: a StartDate still ahead, a recorded drift. Never holds key material. */
  warnings: string[];
}

export type PskcEncryption = 'none' | 'psk' | 'pbkdf2';

const PSKC_NS = 'urn:ietf:params:xml:ns:keyprov:pskc';
/** RFC 6030 names only HOTP; TOTP's URN comes from draft-hoyer-keyprov-pskc-algorithm-profiles ('#totp')
 *  and from vendors (Feitian ships ':totp'). The '#hotp' spelling is that draft's. */
const ALGORITHMS = new Map<string, 'hotp' | 'totp'>([
  [`${PSKC_NS}:hotp`, 'hotp'], [`${PSKC_NS}#hotp`, 'hotp'],
  [`${PSKC_NS}:totp`, 'totp'], [`${PSKC_NS}#totp`, 'totp'],
]);
/** AlgorithmParameters/Suite values for the HMAC ("HMAC-SHA256", "HMAC-SHA-256", "SHA256"). */
const SUITES = new Map<string, Algorithm>([['SHA1', 'SHA1'], ['SHA256', 'SHA256'], ['SHA512', 'SHA512']]);

/** A PSKC file read down to its KeyContainer: a caller that asks needsSecret, then parsePskc, reads it once. */
export function pskcRoot(xml: string | Uint8Array): XmlElement {
  return container(readXml(xml));
}
const rootOf = (x: string | Uint8Array | XmlElement): XmlElement =>
  typeof x === 'string' || x instanceof Uint8Array ? pskcRoot(x) : x;

/** Which secret the file needs, so a CLI knows to ask for --pskc-key or --pskc-password. */
export function needsSecret(xml: string | Uint8Array | XmlElement): PskcEncryption {
  return encryptionOf(rootOf(xml));
}

export function parsePskc(
  xml: string | Uint8Array | XmlElement, o: PskcOptions = {},
): { keys: PskcKey[]; encrypted: PskcEncryption } {
  const root = rootOf(xml);
  const encrypted = encryptionOf(root);
  const file = new FileKeys(root, o);
  const packages = childrenNamed(root, 'KeyPackage');
  if (!packages.length) throw new PskcError('E_PSKC_NO_SECRET', 'the PSKC file holds no KeyPackage');
  const ids = new Map<string, number>();
  const serials: string[] = [];
  const keys: PskcKey[] = [];
  packages.forEach((p, i) => {
    const at = new Place(i + 1, p);
    if (at.id !== undefined) {
      const first = ids.get(at.id);
      if (first !== undefined) {
        at.fail('E_PSKC_DUPLICATE', `its Key Id is also KeyPackage ${first}'s (Key Ids must be unique)`);
      }
      ids.set(at.id, i + 1);
    }
    const serial = at.serial ?? at.id;
    if (serial !== undefined) serials.push(serial);
    if (o.serial === undefined || serial === o.serial) keys.push(readPackage(p, at, file, o.now ?? Date.now()));
  });
  if (!keys.length) {
    const some = serials.slice(0, 10).map(shown).join(', ') +
      (serials.length > 10 ? ` and ${serials.length - 10} more` : '');
    throw new PskcError('E_PSKC_SERIAL', `no KeyPackage has serial ${shown(o.serial ?? '')} (the file holds ${some})`);
  }
  return { keys, encrypted };
}

function container(root: XmlElement): XmlElement {
  if (root.name === 'KeyContainer' && root.ns === PSKC_NS) {
    const v = attr(root, 'Version');
    if (v !== undefined && v !== '1.0' && v !== '1') {
      throw new PskcError('E_PSKC_UNSUPPORTED', `the PSKC file is version ${shown(v)}; RFC 6030 defines 1.0`);
    }
    return root;
  }
  if (root.ns.startsWith(PSKC_NS) || root.name === 'SecretContainer') {
    throw new PskcError('E_PSKC_UNSUPPORTED',
      'the file is in a pre-RFC 6030 draft format (namespace ' + shown(root.ns) + '); ' +
      'ask the vendor for RFC 6030 PSKC');
  }
  throw new PskcError('E_PSKC_XML', `not a PSKC file: its root element is ${shown(root.name)}` +
    (root.ns ? ` in ${shown(root.ns)}` : '') + `, not KeyContainer in ${PSKC_NS}`);
}

function encryptionOf(root: XmlElement): PskcEncryption {
  const encrypted = (el: XmlElement): boolean => el.name === 'EncryptedValue' || el.children.some(encrypted);
  if (!childrenNamed(root, 'KeyPackage').some(encrypted)) return 'none';
  return child(child(root, 'EncryptionKey'), 'DerivedKey') ? 'pbkdf2' : 'psk';
}

function date(s: string | undefined, at: Place, what: string): number | undefined {
  if (s === undefined) return undefined;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?)(Z|[+-]\d\d:\d\d)?$/.exec(s);
  const t = m ? Date.parse(m[1]! + (m[2] ?? 'Z')) : NaN;
  if (Number.isNaN(t)) at.fail('E_PSKC_XML', `its ${what} ${shown(s)} is not an xs:dateTime`);
  return t;
}

/** RFC 6030 §5: a recipient that cannot enforce a policy element must not use the key. */
function checkPolicy(policy: XmlElement | undefined, at: Place): void {
  for (const c of policy?.children ?? []) {
    if (c.name === 'StartDate' || c.name === 'ExpiryDate') continue;
    if (c.name === 'KeyUsage') continue;
    const why = c.name === 'PINPolicy' ? 'a PIN (PINPolicy), which the token has no way to ask for'
      : c.name === 'NumberOfTransactions' ? 'a limit on uses (NumberOfTransactions), which the token does not count'
        : `${shown(c.name)}, which this tool does not know`;
    at.fail('E_PSKC_UNSUPPORTED',
      `its Policy asks for ${why}; RFC 6030 forbids using a key whose policy is not enforced`);
  }
  const usage = childrenNamed(policy, 'KeyUsage').map((u) => u.text.trim());
  if (usage.length && !usage.includes('OTP')) {
    at.fail('E_PSKC_UNSUPPORTED', `its Policy allows only KeyUsage ${usage.map(shown).join(', ')}, not OTP`);
  }
}

function readPackage(p: XmlElement, at: Place, file: FileKeys, now: number): PskcKey {
  const keysIn = childrenNamed(p, 'Key');
  if (keysIn.length !== 1) at.fail('E_PSKC_XML', `it holds ${keysIn.length} Key elements (RFC 6030 allows one)`);
  const k = keysIn[0]!;
  if (at.id === undefined) at.fail('E_PSKC_XML', 'its Key has no Id');
  const uri = attr(k, 'Algorithm')?.trim();
  const type = ALGORITHMS.get(uri ?? '');
  if (!type) at.fail('E_PSKC_UNSUPPORTED', `algorithm ${shown(uri ?? '(none)')} (only HOTP and TOTP)`);

  const params = child(k, 'AlgorithmParameters');
  const suite = textOf(params, 'Suite');
  const algorithm = suite === undefined ? 'SHA1'
    : SUITES.get(suite.toUpperCase().replace(/^HMAC-/, '').replace('-', ''));
  if (!algorithm) at.fail('E_PSKC_UNSUPPORTED', `Suite ${shown(suite!)} (HMAC-SHA1, HMAC-SHA256 or HMAC-SHA512)`);
  if (child(params, 'ChallengeFormat')) at.fail('E_PSKC_UNSUPPORTED', 'a challenge-response key (ChallengeFormat)');
  const rf = child(params, 'ResponseFormat');
  const encoding = rf && attr(rf, 'Encoding');
  if (encoding !== undefined && encoding !== 'DECIMAL') {
    at.fail('E_PSKC_UNSUPPORTED', `responses in ${shown(encoding)} (the token shows DECIMAL codes)`);
  }
  if (rf && /^(true|1)$/.test(attr(rf, 'CheckDigits') ?? '')) {
    at.fail('E_PSKC_UNSUPPORTED', 'a Luhn check digit on each code (CheckDigits)');
  }
  const digits = decimal(rf && attr(rf, 'Length'), at, 'ResponseFormat Length') ?? 6;

  const data = child(k, 'Data');
  const secret = dataValue(data, 'Secret', at, file);
  if (secret === undefined) {
    const ref = textOf(k, 'KeyReference');
    at.fail('E_PSKC_NO_SECRET', ref !== undefined ? `its Key holds no Secret, only a KeyReference to ${shown(ref)}`
      : 'its Key holds no Secret');
  }
  const bytes = typeof secret === 'string' ? base64(secret, at, 'its Secret') : secret;
  if (!bytes.length) at.fail('E_PSKC_NO_SECRET', 'its Secret is empty');
  const counter = integer(data, 'Counter', at, file);
  const time = integer(data, 'Time', at, file, true);
  const period = integer(data, 'TimeInterval', at, file) ?? 30;
  const drift = integer(data, 'TimeDrift', at, file, true);
  if (type === 'totp' && time !== undefined && time !== 0) {
    at.fail('E_PSKC_UNSUPPORTED', `its Time is ${time}: the token counts TOTP steps from the Unix epoch (T0 = 0, ` +
      'RFC 6238), so with another start its codes would differ');
  }

  const policy = child(k, 'Policy');
  checkPolicy(policy, at);
  const info = child(p, 'DeviceInfo');
  const starts = [textOf(policy, 'StartDate'), textOf(info, 'StartDate')].filter((s): s is string => s !== undefined);
  const ends = [textOf(policy, 'ExpiryDate'), textOf(info, 'ExpiryDate')].filter((s): s is string => s !== undefined);
  const warnings: string[] = [];
  for (const s of ends) {
    if (date(s, at, 'ExpiryDate')! < now) {
      at.fail('E_PSKC_EXPIRED', `its key expired on ${shown(s)} (Policy ExpiryDate)`);
    }
  }
  for (const s of starts) if (date(s, at, 'StartDate')! > now) warnings.push(`its key may be used only from ${s}`);
  if (drift) {
    warnings.push(`the issuer measured a TimeDrift of ${drift} intervals; the token's clock is set by the host`);
  }

  const opt = (s: string | undefined) => (s === undefined || s === '' ? undefined : s);
  const serial = at.serial, manufacturer = opt(textOf(info, 'Manufacturer')), issuer = opt(textOf(k, 'Issuer'));
  const userId = opt(textOf(k, 'UserId')) ?? opt(textOf(info, 'UserId')), friendlyName = opt(textOf(k, 'FriendlyName'));
  // The name shown on the token: the person's UserId, else the FriendlyName the issuer gave,
  // else the serial printed on the token, else the Key Id. The issuer: Issuer, else who made it.
  const account = userId ?? friendlyName ?? serial ?? at.id;
  const enrollment: Enrollment = {
    account, secret: bytes, type, algorithm, digits, period, counter: type === 'hotp' ? counter ?? 0 : 0,
  };
  if ((issuer ?? manufacturer) !== undefined) enrollment.issuer = issuer ?? manufacturer;
  const key: PskcKey = { packageIndex: at.index, id: at.id, enrollment, warnings };
  const extra = {
    serial, manufacturer, model: opt(textOf(info, 'Model')), issuer, userId, friendlyName,
    timeDrift: drift, startTime: time, startDate: starts[0], expiryDate: ends[0],
  };
  for (const [name, v] of Object.entries(extra)) if (v !== undefined) Object.assign(key, { [name]: v });
  return key;
}
