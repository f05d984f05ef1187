// A process that writes the store through the APDU door, for the crash and concurrency suites.
//   node writer.js STORE put30 TAG   PUT TAG.0 … TAG.29, then exit (after a line on stdin: `go`, when
//                                    started with stdin piped, so several writers start together)
//   node writer.js STORE churn TAG   PUT, RENAME, DELETE in a loop until killed
//   node writer.js STORE press       press the button (as `token press` does) and exit
// Each completed write is acknowledged on stdout with a synchronous write, so an
// acknowledgement the parent reads was made before any later kill.
import { writeSync } from 'node:fs';
import { boot } from '../../../device/firmware/index.js';

const [path, mode, tag] = process.argv.slice(2) as [string, string, string];

const hex = (s: string) => Buffer.from(s, 'utf8');
const tlv = (tag: number, v: Uint8Array) => Buffer.concat([Buffer.from([tag, v.length]), v]);
const apdu = (ins: number, data: Uint8Array) => Buffer.concat([Buffer.from([0, ins, 0, 0, data.length]), data]);
const SEED = hex('12345678901234567890');
const put = (id: string) =>
  apdu(0x01, Buffer.concat([tlv(0x71, hex(id)), tlv(0x73, Buffer.concat([Buffer.from([0x21, 6]), SEED]))]));
const rename = (a: string, b: string) => apdu(0x05, Buffer.concat([tlv(0x71, hex(a)), tlv(0x71, hex(b))]));
const del = (id: string) => apdu(0x02, tlv(0x71, hex(id)));

/** The churn sequence; the parent replays it to know the state after n writes. */
export function churnOp(tag: string, i: number): Buffer {
  const k = Math.floor(i / 3);
  switch (i % 3) {
    case 0: return put(`${tag}.${k}`);
    case 1: return rename(`${tag}.${k}`, `${tag}.${k}r`);
    default: return k > 0 ? del(`${tag}.${k - 1}r`) : put(`${tag}.x`);
  }
}

async function main(): Promise<void> {
  const dev = await boot({ path, now: () => Date.now() / 1000 });
  if (mode === 'press') { await dev.panel.press(); await dev.close(); return; }
  writeSync(1, 'ready\n');
  if (mode === 'put30' && !process.stdin.isTTY && process.env.WRITER_WAIT_GO) {
    await new Promise((r) => process.stdin.once('data', r));
    process.stdin.destroy();
  }
  for (let i = 0; mode === 'churn' || i < 30; i++) {
    const r = await dev.card.transmit(mode === 'churn' ? churnOp(tag, i) : put(`${tag}.${i}`));
    const sw = (r[r.length - 2]! << 8) | r[r.length - 1]!;
    if (sw !== 0x9000) { writeSync(1, `bad ${i} ${sw.toString(16)}\n`); process.exit(3); }
    writeSync(1, `ok ${i}\n`);
  }
  await dev.close();
}

if (mode) main().catch((e) => { writeSync(2, `${(e as Error).message}\n`); process.exit(1); });
