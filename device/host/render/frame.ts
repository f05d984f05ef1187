import type { Algorithm } from '../../core/index.js';
import type { Frame } from '../../firmware/panel.js';
import { parseId, ykmanOrder } from '../../firmware/ykoath.js';

export type { Frame };

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
export const sortFrames = (frames: readonly Frame[]): Frame[] =>
  ykmanOrder(frames, (f) => parseId(f.id, f.hotp || f.type === 'hotp' ? 'hotp' : 'totp'));
