// `npm run bench`: one process, the core's tables first, then every other bench/<area>.ts
// that exports `bench(): Promise<string>`, in name order. bench/gen-*.ts generate code
// (gen-sha1-hotp.ts prints device/core/sha1-hotp.ts) and are not benches.
import { readdirSync } from 'node:fs';
import { cpus } from 'node:os';

// The SDK warns on Node 20 about releases after January 2027; the provision CLI silences it too.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const here = new URL('.', import.meta.url);
const others = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.startsWith('gen-'))
  .filter((f) => f !== 'index.ts' && f !== 'core.ts')
  .sort();

process.stdout.write(
  `totp-fob bench: node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length}\n\n`);
for (const f of ['core.ts', ...others]) {
  const m = (await import(new URL(f, here).href)) as { bench?: () => Promise<string> };
  if (typeof m.bench !== 'function') { process.stderr.write(`bench/${f}: no bench() export, skipped\n`); continue; }
  process.stdout.write(`== ${f.replace(/\.ts$/, '')}\n${(await m.bench()).trimEnd()}\n\n`);
}
