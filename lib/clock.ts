// The one place any program of this project reads the host's time: the token, provision and the
// local endpoint all take a HostClock from here, so one setting moves them together.
// TOTP_FOB_NOW (or a command's --at) simulates it:
//   ISO 8601 ("2027-01-01T00:00:00Z")  a fixed instant; waiting advances it without sleeping
//   relative ("+30d", "-2h", "+90s")   the real clock shifted; it keeps running
// Units: s, m, h, d, w, y (365 d).

export class ClockError extends Error {
  readonly code = 'E_TIME';
  constructor(message: string) { super(message); this.name = 'ClockError'; }
}

export interface HostClock {
  /** Unix seconds, fractional. */
  now(): number;
  /** Waits ms of host time: really, or by advancing a fixed simulated instant. */
  sleep(ms: number): Promise<void>;
  /** True when the time is simulated (no high-water step may be written then). */
  readonly simulated: boolean;
  readonly fixed: boolean;
}

const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };

/** Parses a TOTP_FOB_NOW / --at value; undefined or '' means the real clock. */
export function hostClock(
  spec: string | undefined = process.env.TOTP_FOB_NOW,
  real: () => number = () => Date.now() / 1000,
): HostClock {
  if (spec === undefined || spec.trim() === '') {
    return { now: real, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), simulated: false, fixed: false };
  }
  const s = spec.trim();
  const rel = /^([+-])\s*(\d+(?:\.\d+)?)\s*([smhdwy])$/.exec(s);
  if (rel) {
    const off = (rel[1] === '-' ? -1 : 1) * Number(rel[2]) * UNIT[rel[3]!]!;
    const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
    return { now: () => real() + off, sleep, simulated: true, fixed: false };
  }
  let t: number;
  // Unix seconds are any plain number (59 is RFC 6238's first row); an ISO date starts `dddd-`.
  if (/^\d+(\.\d+)?$/.test(s)) t = Number(s);
  else {
    const ms = /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : NaN;
    if (!Number.isFinite(ms)) {
      throw new ClockError(
        `cannot read time '${spec}': use ISO 8601 (2027-01-01T00:00:00Z), ` +
          'Unix seconds, or a shift like +30d, -2h, +90s',
      );
    }
    if (ms < 0) {
      throw new ClockError(`time '${spec}' is before 1970-01-01T00:00:00Z, where TOTP time begins (RFC 6238 T0)`);
    }
    t = ms / 1000;
  }
  if (!Number.isSafeInteger(Math.floor(t * 1000))) throw new ClockError(`time '${spec}' is too far in the future`);
  let at = t;
  return { now: () => at, sleep: async (ms) => { at += ms / 1000; }, simulated: true, fixed: true };
}
