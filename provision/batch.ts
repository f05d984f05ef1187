// `provision create` over many names: a factory line. Devices run N at a time on one pair of SDK
// clients (adaptive retry backs off on Throttling); one failure does not stop the others. A token
// holds 64 credentials, so with --device-dir every device gets a token store of its own.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Token } from '../device/host/api.js';
import { createOne, type CreateRequest, type CreateResult } from './create.js';
import type { Ctx } from './context.js';
import { ProvisionError, usage } from './errors.js';
import { labelFor } from './label.js';

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
    if (extra !== undefined) throw usage(`${source} line ${i + 1}: expected 'NAME [USER]', got ${line.split(/\s+/).length} fields`);
    items.push(user ? { name: name!, user } : { name: name! });
  });
  return items;
}

export function readList(file: string): Item[] {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) { throw usage(`cannot read --from ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
  return parseList(text, file);
}

/** Usage errors for the whole batch, before AWS is asked anything: names and duplicates. */
export function checkNames(items: Item[]): void {
  if (items.length === 0) throw usage('no device names: give NAME... or --from FILE');
  const seen = new Set<string>();
  for (const it of items) {
    if (!NAME.test(it.name)) throw usage(`device name '${it.name}' may only hold letters, digits and + = , . @ _ - (IAM's pattern [\\w+=,.@-]+)`);
    if (seen.has(it.name)) throw usage(`device name '${it.name}' appears twice`);
    seen.add(it.name);
  }
}

/** …and, once the account is known, the id rule for every name, before anything is created. */
export function checkItems(items: Item[], account: string): void {
  checkNames(items);
  for (const it of items) labelFor(it.name, account);
}

/** One queue per token: its APDU exchanges must not interleave. */
function serialized(t: Token): Token {
  let q: Promise<unknown> = Promise.resolve();
  const lock = <T>(f: () => Promise<T> | T): Promise<T> => {
    const r = q.then(f, f);
    q = r.catch(() => {});
    return r;
  };
  return new Proxy(t, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv);
      if (typeof v !== 'function' || prop === 'close') return typeof v === 'function' ? v.bind(target) : v;
      return (...a: unknown[]) => lock(() => (v as (...x: unknown[]) => unknown).apply(target, a));
    },
  });
}

export async function createMany(ctx: Ctx, items: Item[], o: BatchOptions, batch: boolean): Promise<Outcome[]> {
  const { account } = await ctx.caller();
  checkItems(items, account);
  const qrDir = o.qrOut && (batch || (existsSync(o.qrOut) && statSync(o.qrOut).isDirectory()));
  if (batch && o.qrOut && existsSync(o.qrOut) && !statSync(o.qrOut).isDirectory()) throw usage(`--qr-out ${o.qrOut} must be a directory when creating several devices`);
  const shared = o.deviceDir ? undefined : serialized(await ctx.token());
  const n = Math.max(1, Math.min(o.concurrency ?? 1, items.length));
  const outcomes: Outcome[] = new Array(items.length);
  let next = 0, ok = 0, bad = 0;
  const progress = () => batch && ctx.io.progress(`[${ok + bad}/${items.length}] ${ok} created${bad ? `, ${bad} failed` : ''}`);
  const one = async (it: Item): Promise<CreateResult> => {
    const token = shared ?? await ctx.openStore(join(o.deviceDir!, `${it.name}.dev`), true);
    try {
      const req: CreateRequest = {
        name: it.name, path: o.path, tags: o.tags, keep: o.keep,
        ...(it.user ? { user: it.user } : {}),
        ...(o.qrOut ? { qrOut: qrDir ? join(o.qrOut, `${it.name}.png`) : o.qrOut } : {}),
      };
      return await createOne({ aws: ctx.aws, token, clock: ctx.clock, io: ctx.io, account, mappingPath: ctx.mappingPath, failAt: o.failAt }, req);
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
      if (batch) report(ctx, outcomes[i]!, o.json);
    }
  }));
  ctx.io.progress('');
  if (!batch) report(ctx, outcomes[0]!, o.json);
  if (bad) throw new ProvisionError('E_BATCH', `${bad} of ${items.length} devices failed (see above); ${ok} created`);
  return outcomes;
}

function report(ctx: Ctx, x: Outcome, json?: boolean): void {
  if (x.error) {
    ctx.io.error(`${x.item.name}: ${x.error.message.replace(/\s+/g, ' ')}`);
    return;
  }
  const r = x.result!;
  if (json) ctx.io.out(JSON.stringify({ serialNumber: r.serialNumber, credential: r.credential, userName: r.userName, enabled: r.enabled, token: r.token }));
  else ctx.io.out(`${r.serialNumber}  ${r.credential}  token ${r.token}  ${r.enabled ? `enabled for ${r.userName}` : 'not enabled'}`);
}
