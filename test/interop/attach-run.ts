// Stand-in for `token attach --device DEV --vpcd HOST:PORT` until the CLI wires attach():
// node --import tsx test/interop/attach-run.ts DEV HOST:PORT  (TOKEN_ACCESS_CODE, TOTP_FOB_NOW honoured)
import { attach, parseVpcdAddress } from '../../device/host/attach.js';
import { hostClock } from '../../device/host/clock.js';

const [device, address = '127.0.0.1:35963'] = process.argv.slice(2);
if (!device) { process.stderr.write('usage: attach-run.ts DEVICE [HOST:PORT]\n'); process.exit(2); }
try {
  process.exitCode = await attach({
    device, vpcd: parseVpcdAddress(address), clock: hostClock(),
    accessCode: process.env.TOKEN_ACCESS_CODE || undefined,
    io: { info: (l) => process.stderr.write(`${l}\n`), trace: process.env.VPCD_TRACE ? (l) => process.stderr.write(`${(performance.now() / 1000).toFixed(3)} ${l}\n`) : undefined },
  });
} catch (e) {
  process.stderr.write(`token attach: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
