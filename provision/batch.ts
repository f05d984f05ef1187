// `provision create` over many names: a factory line. Devices run N at a time on one pair of SDK
// clients (adaptive retry backs off on Throttling); one failure does not stop the others. A token
// holds 64 credentials, so with --device-dir every device gets a token store of its own.
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readCapped } from '../device/host/input.js';
import { AwsCallError } from './aws.js';
import { createOne, type CreateRequest, type CreateResult } from './create.js';
import type { ProvisionCtx } from './context.js';
import { fsError, ProvisionError, usage } from './errors.js';
import { makeDirs } from '../lib/files.js';
import { labelFor } from './mapping.js';

export interface Item { name: string; user?: string }

export interface BatchOptions {
  path?: string;
  tags?: { Key: string; Value: string }[];
  qrOut?: string;
  keep?: boolean;
  concurrency?: number;
  deviceDir?: string;
  json?: boolean;
  failAt?: string;
}

export interface Outcome { item: Item; result?: CreateResult; error?: Error }

const NAME = /^[\w+=,.@-]+$/;

/** `--from FILE`: one `NAME [USER]` per line; `#` starts a comment. */
export function parseList(text: string, source = 'the list'): Item[] {
  const items: Item[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const [name, user, extra] = line.split(/\s+/);
    if (extra !== undefined) throw usage(
      `${source} line ${i + 1}: expected 'NAME [USER]', got ${line.split(/\s+/).length} fields`);
    items.push(user ? { name: name!, user } : { name: name! });
  });
  return items;
}

/** A list of names is small: a megabyte holds thousands of lines, and /dev/zero holds no end. */
export const MAX_LIST = 1 << 20;

export function readList(file: string): Item[] {
  let text: string;
  try { text = Buffer.from(readCapped(file, MAX_LIST, `--from ${file}`)).toString('utf8'); } catch (e) {
    if ((e as { name?: string }).name === 'HostError') throw e;
    throw usage(`cannot read --from ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseList(text, file);
}

/** Usage errors for the whole batch, before AWS is asked anything: names and duplicates. */
export function checkNames(items: Item[]): void {
  if (items.length === 0) throw usage('no device names: give NAME... or --from FILE');
  const seen = new Set<string>();
  for (const it of items) {
    if (!NAME.test(it.name)) throw usage(
      `device name '${it.name}' may only hold letters, digits and + = , . @ _ - (IAM's pattern [\\w+=,.@-]+)`);
    if (seen.has(it.name)) throw usage(`device name '${it.name}' appears twice`);
    seen.add(it.name);
  }
}

/** …and, once the account is known, the id rule for every name, before anything is created. */
export function checkItems(items: Item[], account: string): void {
  checkNames(items);
  for (const it of items) labelFor(it.name, account);
}

const kind = (p: string) => { try { return statSync(p).isDirectory() ? 'dir' : 'file'; } catch { return null; } };

function writableDir(dir: string, flag: string): void {
  const k = kind(dir);
  if (k === null) throw usage(`${flag}: the directory ${dir} does not exist: create it first, or pick another path`);
  if (k !== 'dir') throw usage(`${flag}: ${dir} is not a directory: pick another path`);
  try { accessSync(dir, constants.W_OK); } catch {
    throw usage(`${flag}: cannot write in ${dir} (permission denied): pick a directory of yours`);
  }
}

/**
 * Checks --qr-out before anything is created, and says where each device's PNG goes: into the
 * directory when it is one (always in a batch, which may create that one last level), else the file.
 */
function planQrOut(qrOut: string, batch: boolean): (name: string) => string {
  const k = kind(qrOut);
  if (batch || k === 'dir') {
    if (k === 'file') throw usage(`--qr-out ${qrOut} must be a directory when creating several devices`);
    if (k === null) writableDir(dirname(qrOut), `--qr-out ${qrOut}`);
    else writableDir(qrOut, '--qr-out');
    return (name) => {
      const f = join(qrOut, `${name}.png`);
      if (kind(f) === 'dir') throw usage(`--qr-out: ${f} is a directory: move it away, or pick another --qr-out`);
      return f;
    };
  }
  writableDir(dirname(qrOut), `--qr-out ${qrOut}`);
  return () => qrOut;
}

export async function createMany(ctx: ProvisionCtx, items: Item[], o: BatchOptions,
  batch: boolean): Promise<Outcome[]> {
  // Paths first: a bad --qr-out must stop the run before CreateVirtualMFADevice, not after it.
  const qrFile = o.qrOut ? planQrOut(o.qrOut, batch) : undefined;
  const qrFiles = new Map(qrFile ? items.map((it) => [it.name, qrFile(it.name)]) : []);
  if (o.deviceDir) {
    try { makeDirs(o.deviceDir); } catch (e) {
      throw fsError(e, `cannot create --device-dir ${o.deviceDir}`, 'pick a writable directory'); }
  }
  const { account } = await ctx.caller();
  checkItems(items, account);
  // One token for all: its own queue keeps their operations from interleaving.
  const shared = o.deviceDir ? undefined : await ctx.token();
  const n = Math.max(1, Math.min(o.concurrency ?? 1, items.length));
  const outcomes: Outcome[] = new Array(items.length);
  let next = 0, ok = 0, bad = 0;
  const progress = () => batch && ctx.io.progress(
    `[${ok + bad}/${items.length}] ${ok} created${bad ? `, ${bad} failed` : ''}`);
  const one = async (it: Item): Promise<CreateResult> => {
    const token = shared ?? await ctx.openStore(join(o.deviceDir!, `${it.name}.dev`), true);
    try {
      const req: CreateRequest = {
        name: it.name, path: o.path, tags: o.tags, keep: o.keep,
        ...(it.user ? { user: it.user } : {}),
        ...(qrFiles.has(it.name) ? { qrOut: qrFiles.get(it.name)! } : {}),
      };
      return await createOne({ aws: ctx.aws, token, clock: ctx.clock, io: ctx.io, account, mappingPath: ctx.mappingPath,
        failAt: o.failAt }, req);
    } finally {
      if (!shared) await token.close();
    }
  };
  progress();
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      const item = items[i]!;
      try {
        outcomes[i] = { item, result: await one(item) };
        ok++;
      } catch (e) {
        outcomes[i] = { item, error: e as Error };
        bad++;
        if (!batch) throw e;
      }
      progress();
      if (batch) report(ctx, outcomes[i]!, o.json, true);
    }
  }));
  ctx.io.progress('');
  if (!batch) report(ctx, outcomes[0]!, o.json);
  if (bad) throw new ProvisionError('E_BATCH', `${bad} of ${items.length} devices failed (see above); ${ok} created`);
  return outcomes;
}

/** A failed device's JSON line: its name, ok:false, and the error's stable code (and AWS's). */
export function failureJson(x: Outcome): Record<string, unknown> {
  const e = x.error!;
  const cause = (e as { cause?: unknown }).cause ?? e;
  const code = (e as { code?: unknown }).code;
  const aws = cause instanceof AwsCallError && cause.awsCode ?
    { awsCode: cause.awsCode.replace(/Exception$/, '') } : {};
  return {
    name: x.item.name, ...(x.item.user ? { userName: x.item.user } : {}), ok: false,
    error: { code: typeof code === 'string' ? code : 'E_FAILED', ...aws, message: e.message.replace(/\s+/g, ' ') },
  };
}

function report(ctx: ProvisionCtx, x: Outcome, json?: boolean, batch = false): void {
  if (x.error) {
    ctx.io.error(`${x.item.name}: ${x.error.message.replace(/\s+/g, ' ')}`);
    if (json && batch) ctx.io.out(JSON.stringify(failureJson(x)));
    return;
  }
  const r = x.result!;
  const head = batch ? { name: x.item.name, ok: true } : {};
  if (json) ctx.io.out(JSON.stringify({ ...head, serialNumber: r.serialNumber, credential: r.credential,
    userName: r.userName, enabled: r.enabled, token: r.token }));
  else ctx.io.out(
    `${r.serialNumber}  ${r.credential}  token ${r.token}  ${r.enabled ? `enabled for ${r.userName}` : 'not enabled'}`);
}
