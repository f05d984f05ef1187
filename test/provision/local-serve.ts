// Runs `provision local-aws` in a process of its own through runLocalAwsCommand, the way the
// provision CLI does: node --import tsx test/provision/local-serve.ts [--json] [--port N] [--state F] [--throttle R]
import { runLocalAwsCommand } from '../../provision/local/index.js';

const a = process.argv.slice(2);
const val = (flag: string) => { const i = a.indexOf(flag); return i >= 0 ? a[i + 1] : undefined; };
const opts = { json: a.includes('--json'), port: val('--port'), state: val('--state'), throttle: val('--throttle') };
process.exitCode = await runLocalAwsCommand(opts, { stdout: process.stdout, stderr: process.stderr });
