// `ykman oath accounts code` and `ykman info` against our attached token through pcscd + vpcd,
// beside `token show` on the same store. ykman and token print the same codes.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TOKEN, node, run, tempDir } from '../test/helpers.js';
import { missing, startAttach, startPcscd } from '../test/interop/pcsc.js';

const CREDENTIALS = 8;
const RUNS = 10;

async function timed(n: number, f: () => Promise<{ code: number; stderr: string }>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await f();
    ms.push(performance.now() - t0);
    if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr.trim()}`);
  }
  return ms.sort((a, b) => a - b);
}

const fmt = (ms: number[]) => {
  const med = ms[Math.floor(ms.length / 2)]!;
  return `median ${med.toFixed(0).padStart(5)} ms  ` +
    `(min ${ms[0]!.toFixed(0)}, max ${ms[ms.length - 1]!.toFixed(0)}, n=${ms.length})`;
};

export async function bench(): Promise<string> {
  const why = missing() ?? (existsSync(TOKEN) ? null : `${TOKEN} is not built`);
  if (why) return `ykman via pcscd: skipped (${why})`;
  const tmp = tempDir('fob-bench-ykman-');
  const device = join(tmp.dir, 'token.dev');
  const env = { ...process.env, HOME: tmp.dir, TOKEN_DEVICE: device, NO_COLOR: '1', TOTP_FOB_NOW: '' };
  delete (env as Record<string, string | undefined>).TOKEN_ACCESS_CODE;
  const token = (args: string[]) => node(TOKEN, args, { env });
  const must = async (p: Promise<{ code: number; stderr: string }>, what: string) => {
    const r = await p;
    if (r.code !== 0) throw new Error(`${what}: ${r.stderr.trim()}`);
  };
  let pcscd: Awaited<ReturnType<typeof startPcscd>> | undefined;
  let card: Awaited<ReturnType<typeof startAttach>> | undefined;
  try {
    await must(token(['init', '--drift-ppm', '0']), 'token init');
    for (let i = 0; i < CREDENTIALS; i++) {
      await must(token(['enroll', '--secret', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
        '--issuer', `Bench${i}`, '--name', `user${i}`]), 'token enroll');
    }
    pcscd = await startPcscd();
    card = await startAttach(device, pcscd.port, env, pcscd.reader);
    const ykman = () => run('ykman', ['--reader', pcscd!.reader, 'oath', 'accounts', 'code'], { env });
    const info = () => run('ykman', ['--reader', pcscd!.reader, 'info'], { env });
    const show = () => token(['show']);
    await timed(1, ykman);
    await timed(1, show);
    const y = await timed(RUNS, ykman);
    const s = await timed(RUNS, show);
    const i = await timed(RUNS, info);
    // ykman's own start-up (Python, no card), to tell it from the time on the wire.
    const bare = await timed(RUNS, () => run('ykman', ['--version'], { env }));
    return [
      `ykman via pcscd + vpcd (${CREDENTIALS} TOTP credentials, one attached token):`,
      `  ykman oath accounts code   ${fmt(y)}`,
      `  ykman info (Management)    ${fmt(i)}`,
      `  token show                 ${fmt(s)}`,
      `  ykman --version (no card)  ${fmt(bare)}`,
    ].join('\n');
  } finally {
    await card?.stop();
    await pcscd?.stop();
    tmp.done();
  }
}

// Run alone: node --import tsx bench/ykman.ts
if (import.meta.url === `file://${process.argv[1]}`) console.log(await bench());
