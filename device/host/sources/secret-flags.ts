// `--secret BASE32 --name N [--issuer I] [--algorithm A] [--digits D] [--period P] [--hotp --counter C]`.
import { algorithmOf, base32Decode } from '../../core/index.js';
import type { Enrollment } from '../enrollment.js';
import { HostError } from '../errors.js';
import type { Found } from './source.js';

export interface SecretFlags {
  secret: string; name?: string; issuer?: string; algorithm?: string;
  digits?: string; period?: string; hotp?: boolean; counter?: string;
}

const int = (v: string | undefined, flag: string, dflt: number): number => {
  if (v === undefined) return dflt;
  if (!/^\d{1,10}$/.test(v.trim())) throw new HostError('E_USAGE', `${flag} takes a whole number, got '${v}'`);
  return Number(v);
};

export function fromFlags(f: SecretFlags): Found {
  if (!f.name) throw new HostError('E_USAGE', '--secret needs --name (the account the code is for)');
  if (f.counter !== undefined && !f.hotp) throw new HostError('E_USAGE', '--counter is for --hotp credentials');
  const secret = base32Decode(f.secret.trim());
  if (secret.length === 0) throw new HostError('E_INPUT', 'the secret is empty');
  const e: Enrollment = {
    account: f.name, secret, type: f.hotp ? 'hotp' : 'totp',
    algorithm: f.algorithm ? algorithmOf(f.algorithm) : 'SHA1',
    digits: int(f.digits, '--digits', 6), period: int(f.period, '--period', 30), counter: int(f.counter, '--counter', 0),
    ...(f.issuer ? { issuer: f.issuer } : {}),
  };
  return { enrollments: [e], warnings: [] };
}
