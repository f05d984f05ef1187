import type { Algorithm } from '../../core/index.js';
import { parseId } from '../ids.js';

/** One credential on the LCD, as the firmware's display() returns it. */
export interface Frame {
  id: string; type: 'totp' | 'hotp'; code: string | null; next: string | null;
  step: number; remaining: number; period: number; digits: number; algorithm: Algorithm; hotp: boolean;
}

/** The `show --json` shape (issue 4). `remaining` is whole seconds. */
export interface ShownCode {
  name: string; issuer: string | null; type: 'totp' | 'hotp'; code: string | null; next: string | null;
  step: number | null; remaining: number | null; period: number | null; digits: number; algorithm: Algorithm;
}

export function shown(f: Frame): ShownCode {
  const type = f.hotp || f.type === 'hotp' ? 'hotp' : 'totp';
  const p = parseId(f.id, type);
  const totp = type === 'totp';
  return {
    name: p.name, issuer: p.issuer ?? null, type, code: f.code, next: totp ? f.next : null,
    step: totp ? f.step : null, remaining: totp ? Math.ceil(f.remaining) : null,
    period: totp ? f.period : null, digits: f.digits, algorithm: f.algorithm,
  };
}

/** What stands in the code column when there is no code: ykman's placeholders. */
export const placeholder = (f: Frame): string => (f.hotp || f.type === 'hotp' ? '[HOTP Account]' : '[Requires Touch]');

/** ykman's order: by (issuer or name), then name, case-insensitively. */
export function sortFrames(frames: readonly Frame[]): Frame[] {
  const key = (f: Frame) => { const p = parseId(f.id, f.hotp || f.type === 'hotp' ? 'hotp' : 'totp'); return `${(p.issuer ?? p.name).toLowerCase()}\0${p.name.toLowerCase()}`; };
  return frames.map((f) => [key(f), f] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, f]) => f);
}
