// What a store may hold, field by field: the same bounds the writers keep. A store edited by hand
// and given a fresh checksum is still refused when any field is one no firmware would have written
// (an id a terminal would obey, two credentials of one id, an empty key, a drift of 1e300 ppm).
import { MAX_PPM } from './rtc.js';
import { idProblem, periodOf, printableId } from './credential.js';
import { kdfProblem } from './seal.js';
import { BLOCK, CAPACITY, MAX_ID, MIN_KEY } from './ykoath.js';

/** A serial (or model): printable ASCII, no spaces, 1 to 32 characters. */
export const isSerial = (s: string): boolean => /^[\x21-\x7e]{1,32}$/.test(s);

/** Wrong access codes a device takes; the last refusal wipes it. */
export const MAX_RETRIES = 8;

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
const isInt = (n: unknown, lo: number, hi: number) =>
  Number.isSafeInteger(n) && (n as number) >= lo && (n as number) <= hi;
const isHex = (v: unknown, bytes: number) => typeof v === 'string' && v.length === bytes * 2 && /^[0-9a-f]*$/.test(v);
/** Base64 as Buffer writes it (a hand edit that Buffer would silently repair is not that). */
const b64len = (v: string): number => {
  const b = Buffer.from(v, 'base64');
  return b.toString('base64') === v ? b.length : -1;
};
/** Host clock milliseconds: the range of a Date. */
const isMs = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && Math.abs(n) <= 8.64e15;

/** Exactly these keys (a few optional): a stray one, `__proto__` included, is not ours. */
function keys(o: Record<string, unknown>, need: readonly string[], may: readonly string[] = []): string | null {
  for (const k of need) if (!Object.hasOwn(o, k)) return `no ${k}`;
  for (const k of Object.keys(o)) {
    if (!need.includes(k) && !may.includes(k)) return `an unknown field ${JSON.stringify(k)}`;
  }
  return null;
}

/** The first field that no writer would have produced, named for the message; null when all hold. */
export function storeProblem(s: unknown): string | null {
  if (!isObj(s)) return 'no state';
  const top = keys(s, ['identity', 'salt', 'clock', 'access', 'credentials'], ['generation']);
  if (top) return top;
  if (s.generation !== undefined && !isInt(s.generation, 0, Number.MAX_SAFE_INTEGER)) return 'generation';
  const i = s.identity;
  if (!isObj(i)) return 'identity';
  const ik = keys(i, ['serial', 'model', 'firmware', 'manufactured', 'driftPpm'], ['uid']);
  if (ik) return `identity (${ik})`;
  if (typeof i.serial !== 'string' || !isSerial(i.serial)) return 'identity.serial';
  if (typeof i.model !== 'string' || !isSerial(i.model)) return 'identity.model';
  if (typeof i.firmware !== 'string' ||
    !/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){2}$/.test(i.firmware)) return 'identity.firmware';
  if (!isInt(i.manufactured, 0, 8.64e15)) return 'identity.manufactured';
  if (typeof i.driftPpm !== 'number' || !Number.isFinite(i.driftPpm) ||
    Math.abs(i.driftPpm) > MAX_PPM) return 'identity.driftPpm';
  if (i.uid !== undefined && !isHex(i.uid, 16)) return 'identity.uid';
  if (!isHex(s.salt, 8)) return 'salt';
  const c = s.clock;
  if (!isObj(c) || keys(c, ['setMs', 'hostMs']) ||
    !isInt(c.setMs, 0, Number.MAX_SAFE_INTEGER) || !isMs(c.hostMs)) return 'clock';
  const a = s.access;
  if (!isObj(a)) return 'access';
  const ak = keys(a, ['kcv', 'sealSalt', 'retries'], ['kdf']);
  if (ak) return `access (${ak})`;
  if (a.kcv !== null && !isHex(a.kcv, 16)) return 'access.kcv';
  if (!isHex(a.sealSalt, 16)) return 'access.sealSalt';
  // Without a code nothing spends tries: every path that clears the code refills them.
  if (!isInt(a.retries, 0, MAX_RETRIES) || (a.kcv === null && a.retries !== MAX_RETRIES)) return 'access.retries';
  if (a.kdf !== undefined && (a.kcv === null || kdfProblem(a.kdf))) return 'access.kdf';
  const sealed = a.kcv !== null;
  if (!Array.isArray(s.credentials) || s.credentials.length > CAPACITY) return 'credentials';
  const seen = new Set<string>();
  for (const [n, cred] of s.credentials.entries()) {
    const bad = credentialProblem(cred, sealed, seen);
    if (bad) return `credentials[${n}]${bad}`;
  }
  return null;
}

function credentialProblem(c: unknown, sealed: boolean, seen: Set<string>): string | null {
  if (!isObj(c)) return '';
  const ck = keys(c, ['id', 'type', 'algorithm', 'digits', 'period', 'counter', 'touch', 'highWater', 'secret']);
  if (ck) return ` (${ck})`;
  const id = c.id;
  if (typeof id !== 'string' || /[\ud800-\udfff]/u.test(id) || id.length === 0 ||
    Buffer.byteLength(id, 'utf8') > MAX_ID) return '.id';
  const unsafe = idProblem(id);
  if (unsafe) return `.id '${printableId(id)}' (${unsafe})`;
  if (seen.has(id)) return `.id '${id}' (a second credential of that id)`;
  seen.add(id);
  if (c.type !== 'TOTP' && c.type !== 'HOTP') return '.type';
  if (c.algorithm !== 'SHA1' && c.algorithm !== 'SHA256' && c.algorithm !== 'SHA512') return '.algorithm';
  if (!isInt(c.digits, 6, 8)) return '.digits';
  let period: number;
  try { period = periodOf(id, c.type); } catch { return '.id (its period prefix)'; }
  if (c.period !== period) return '.period';
  // PUT keeps a TOTP credential's counter at 0; only HOTP moves it, and only TOTP has high water.
  if (!isInt(c.counter, 0, c.type === 'HOTP' ? 0xffffffff : 0)) return '.counter';
  if (typeof c.touch !== 'boolean') return '.touch';
  if (!isInt(c.highWater, -1, c.type === 'TOTP' ? Number.MAX_SAFE_INTEGER : -1)) return '.highWater';
  // The key as normalizeKey keeps it: 14 bytes up to the hash block; sealed adds iv (12) and tag (16).
  const secret = c.secret;
  if (typeof secret !== 'string' || !secret.startsWith(sealed ? 'g:' : 'p:')) return '.secret (its form)';
  const n = b64len(secret.slice(2)) - (sealed ? 28 : 0);
  if (n < MIN_KEY || n > BLOCK[c.algorithm]) return '.secret (its length)';
  return null;
}
