// Colour only on a terminal, and never when NO_COLOR is set to anything non-empty (no-color.org).
export interface Style { color: boolean }

export const styleFor = (stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style =>
  ({ color: !!stream.isTTY && !env.NO_COLOR && env.TERM !== 'dumb' });

const sgr = (open: string) => (s: Style, text: string) => (s.color ? `\x1b[${open}m${text}\x1b[0m` : text);
export const bold = sgr('1');
export const dim = sgr('2');
export const green = sgr('32');
export const yellow = sgr('33');
export const red = sgr('31');
