// `token show` start-up: 32 credentials, against bare `node -e 0` and oathtool (the target: ≤ 1.3×
// bare node). Runs are interleaved so machine noise hits every contender alike. Also times the
// QR reader's refusal of a decompression bomb (the target: under 50 ms).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = process.env.TOKEN_BENCH_CLI ?? join(ROOT, 'dist/device/host/cli.cjs');
const ROUNDS = Number(process.env.TOKEN_BENCH_ROUNDS ?? 25);
const TARGET = 1.3;

const ms = (f: () => void) => {
  const t = process.hrtime.bigint(); f(); return Number(process.hrtime.bigint() - t) / 1e6;
};
const median = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]!; };

function chunk(type: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
}
/** A small PNG declaring 8000×8000 (pngjs, which has no cap, would reach ~800 MB). */
function bomb(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(8000, 0); ihdr.writeUInt32BE(8000, 4); ihdr[8] = 8; ihdr[9] = 6;
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(4 << 20))), chunk('IEND', new Uint8Array(0))]);
}

/**
 * An esbuild bundle carries its modules inside: no static import or require of a relative path
 * but the lazily loaded ./program.js. (tsc output imports ./commands/*.js; --minify strips the
 * `// device/host/...` comments an unminified bundle has, so those prove nothing.)
 */
export function isBundle(src: string): boolean {
  const rel = [...src.matchAll(/(?:\bfrom\s*|\brequire\(\s*|\bimport\s*)["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]!);
  return rel.every((p) => p === './program.js');
}

export async function bench(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-token-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, TOKEN_DEVICE: join(dir, 'token.dev'), NO_COLOR: '1' };
    delete env.TOTP_FOB_NOW; delete env.TOKEN_ACCESS_CODE;
    const uris = Array.from({ length: 32 }, (_, i) =>
      `otpauth://totp/Issuer${i}:user${i}@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ${'A'.repeat(i % 8)}` +
      `&issuer=Issuer${i}&digits=${6 + (i % 3)}`);
    writeFileSync(join(dir, 'uris.txt'), uris.join('\n'));
    const made = spawnSync(process.execPath, [TOKEN, 'enroll', join(dir, 'uris.txt')], { env, encoding: 'utf8' });
    if (made.status !== 0) return `token enroll failed: ${made.stderr.trim()} (run npm run build first)`;

    const oathtool = spawnSync('oathtool', ['--version'], { stdio: 'ignore' }).status === 0;
    const runs: Record<string, { argv: string[]; t: number[] }> = {
      'node -e 0': { argv: [process.execPath, '-e', '0'], t: [] },
      'token show (32 credentials)': { argv: [process.execPath, TOKEN, 'show'], t: [] },
      'token show --json': { argv: [process.execPath, TOKEN, 'show', '--json'], t: [] },
      'token code user5': { argv: [process.execPath, TOKEN, 'code', 'user5'], t: [] },
      ...(oathtool ? {
        'oathtool --totp (one code)': { argv: ['oathtool', '--totp', '-b', 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'], t: [] },
      } : {}),
    };
    for (let r = -2; r < ROUNDS; r++) {
      for (const c of Object.values(runs)) {
        let status: number | null = 0;
        const t = ms(() => {
          status = spawnSync(c.argv[0]!, c.argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] }).status;
        });
        if (status !== 0) return `${c.argv.join(' ')} exited ${status}`;
        if (r >= 0) c.t.push(t); // two warm-up rounds fill the page cache
      }
    }
    const bare = median(runs['node -e 0']!.t);
    const rows = Object.entries(runs).map(([name, c]) => {
      const m = median(c.t);
      return `${name.padEnd(30)} ${m.toFixed(1).padStart(7)} ms  ` +
        `min ${Math.min(...c.t).toFixed(1).padStart(6)} ms  ${(m / bare).toFixed(2)}× bare node`;
    });
    const show = median(runs['token show (32 credentials)']!.t) / bare;
    const { readQr } = await import('../device/host/qr.js');
    const b = bomb(), times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = process.hrtime.bigint();
      await readQr(b).then(() => { throw new Error('bomb decoded'); },
        (e: { code?: string }) => { if (e.code !== 'E_QR_TOO_LARGE') throw e; });
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const bundled = isBundle(readFileSync(TOKEN, 'utf8'));
    return [
      `median of ${ROUNDS} interleaved runs each (wall clock, spawn included); ` +
      `${TOKEN.replace(ROOT, '')} is ${bundled ? 'the esbuild bundle' : 'tsc output, not bundled'}`,
      ...rows,
      `target token show ≤ ${TARGET}× bare node: ${show.toFixed(2)}× — ` +
      `${show <= TARGET ? 'met' : `missed by ${((show / TARGET - 1) * 100).toFixed(0)}%`}`,
      `decompression bomb (${b.length} B PNG declaring 8000×8000) refused in ${median(times).toFixed(2)} ms median, ` +
      `${Math.max(...times).toFixed(2)} ms worst (target < 50 ms)`,
    ].join('\n');
  } finally { rmSync(dir, { recursive: true, force: true }); }
}
