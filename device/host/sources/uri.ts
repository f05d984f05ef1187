// otpauth:// key URIs, one per line (Google's Key Uri Format; AWS's label form included).
import { parseKeyUri } from '../../core/index.js';
import type { Found, Source } from './source.js';
import type { Enrollment } from '../enrollment.js';
import { HostError } from '../errors.js';

export function fromUri(uri: string): Found {
  const k = parseKeyUri(uri);
  const e: Enrollment = {
    account: k.account, secret: k.secret, type: k.type, algorithm: k.algorithm,
    digits: k.digits, period: k.type === 'hotp' ? 30 : k.period, counter: k.counter,
    ...(k.issuer !== undefined ? { issuer: k.issuer } : {}),
  };
  return { enrollments: [e], warnings: k.warnings };
}

const PREFIX = 'otpauth://';

export const uriSource: Source = {
  name: 'otpauth URI',
  sniff: (b) => Buffer.from(b.subarray(0, 64)).toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart().toLowerCase().startsWith(PREFIX),
  async read(b) {
    const lines = Buffer.from(b).toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    if (lines.length > 64) throw new HostError('E_INPUT', `${lines.length} URIs given; the token holds at most 64 credentials`);
    const out: Found = { enrollments: [], warnings: [] };
    for (const l of lines) {
      const f = fromUri(l);
      out.enrollments.push(...f.enrollments); out.warnings.push(...f.warnings);
    }
    return out;
  },
};
