// The hardened QR reader: PNG bytes in, the QR text out, or a typed error, in bounded time and
// memory. The header is vetted here; pngjs and jsqr are loaded (qr-search.ts) only when an image
// is read. Their traps: pngjs has no size cap, jsQR ignores alpha and keeps options between calls.
import { existsSync, readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { Worker } from 'node:worker_threads';
import { HostError, type HostCode } from './errors.js';
import { decodePng, searchGrid } from './qr-search.js';

/** pngjs has no cap: an 8000×8000 declaration inflates to ~800 MB (its sync parser sizes the
 * inflate buffer from IHDR alone). */
export const MAX_PIXELS = 16_000_000;
const SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export const isPng = (b: Uint8Array): boolean => b.length >= 8 && SIG.every((x, i) => b[i] === x);

export interface PngHeader { width: number; height: number; bitDepth: number; colorType: number; interlaced: boolean }

/** Reads IHDR (bytes 8..33) without decoding anything, and refuses what is too big to decode. */
export function pngHeader(b: Uint8Array): PngHeader {
  if (!isPng(b)) throw new HostError('E_QR_NOT_PNG', 'the file is not a PNG image (bad signature)');
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  if (b.length < 33 || dv.getUint32(8) !== 13 || dv.getUint32(12) !== 0x49484452) {
    throw new HostError('E_QR_UNREADABLE', 'the PNG is damaged: it does not start with an IHDR header');
  }
  const width = dv.getUint32(16), height = dv.getUint32(20);
  if (width === 0 || height === 0) {
    throw new HostError('E_QR_UNREADABLE', `the PNG is damaged: it declares ${width}×${height} pixels`);
  }
  if (width * height > MAX_PIXELS) {
    throw new HostError('E_QR_TOO_LARGE', `the PNG declares ${width}×${height} pixels, ` +
      `over the ${MAX_PIXELS / 1e6} megapixel limit; crop it to the QR code`);
  }
  return { width, height, bitDepth: b[24]!, colorType: b[25]!, interlaced: b[28] === 1 };
}

// pngjs bounds the inflate of a plain PNG by its declared size but inflates an interlaced one
// unbounded (lib/parser-sync.js), so a tiny interlaced file could still expand without limit.
function checkInterlacedSize(b: Uint8Array, h: PngHeader): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const idat: Uint8Array[] = [];
  for (let o = 8; o + 12 <= b.length;) {
    const len = dv.getUint32(o), type = dv.getUint32(o + 4);
    if (o + 12 + len > b.length) break;
    if (type === 0x49444154) idat.push(b.subarray(o + 8, o + 8 + len));
    if (type === 0x49454e44) break;
    o += 12 + len;
  }
  const bound = (Math.ceil((h.width * 8 * h.bitDepth) / 8) + 1) * h.height * 2 + 4096;
  try { inflateSync(Buffer.concat(idat), { maxOutputLength: bound }); } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new HostError('E_QR_TOO_LARGE',
        'the PNG image data inflates past its declared size (a decompression bomb?)');
    }
    // Other inflate errors surface from pngjs below with its own message.
  }
}

/**
 * CPU time one image may take (wall time where the OS does not tell a thread's CPU time), its
 * decode included: jsQR cannot be interrupted, only killed. Wall time is capped at WALL_FACTOR
 * times that, so that a starved machine still answers.
 */
export const QR_BUDGET_MS = 1000;
const WALL_FACTOR = 4;
/** The worker's heap: jsQR keeps its finder candidates as objects, a tiling of finder patterns makes millions. */
const WORKER_HEAP_MB = 256;

const tooComplex = (why: string) => new HostError('E_QR_TOO_COMPLEX',
  `gave up on the image: ${why} without finding a QR code (is it a photo or a pattern?); crop it to the code`);

interface Job {
  png: Uint8Array; head: PngHeader; gridTried: boolean; budgetMs: number; total: number;
  resolve(t: string | null): void; reject(e: Error): void;
}

// One worker per process, started on the first image that needs it and kept (unref'd) for the
// next: a batch of QR checks must not pay a thread start each. Jobs run one at a time, and each
// one's budget starts when it reaches the worker, not while it waits behind another.
type QrWorker = Worker & { cpu?: () => number | null; ready?: Promise<void> };
let worker: QrWorker | undefined;
const queue: Job[] = [];
let running = false;
let seq = 0;

function startWorker(): QrWorker {
  const resourceLimits = { maxOldGenerationSizeMb: WORKER_HEAP_MB };
  // Run from source (tests, benches under tsx) a worker gets no loader hooks, so it registers tsx's.
  const src = new URL('./qr-worker.ts', import.meta.url).href;
  // Compiled, this file is dist/device/host/qr.js, or a chunk of provision's bundle in dist/provision/chunks/.
  const compiled = [
    new URL('./qr-worker.js', import.meta.url), new URL('../../device/host/qr-worker.js', import.meta.url),
  ];
  const w = !import.meta.url.endsWith('.ts')
    ? new Worker(compiled.find((u) => existsSync(u)) ?? compiled[0]!, { resourceLimits })
    : new Worker(`import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(src)}); })`,
      { eval: true, resourceLimits });
  // An idle worker that dies is replaced by the next job; its error must not take the process down.
  w.on('error', () => {});
  w.on('exit', () => { if (worker === w) worker = undefined; });
  const cw: QrWorker = w;
  // Its first message, sent once its modules are loaded, says which thread it is: a job's budget
  // starts after that, so a slow start on a busy machine is not counted as searching.
  cw.ready = new Promise((res) => {
    w.once('message', (m: { tid?: number | null }) => { if (m.tid) cw.cpu = () => threadCpuMs(m.tid!); res(); });
    w.once('exit', () => res());
  });
  return cw;
}

/** utime + stime of one thread of this process, in ms (fields 14 and 15 of its stat, in 1/100 s). */
function threadCpuMs(tid: number): number | null {
  try {
    const f = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
    const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(v[11]) + Number(v[12])) * 10;
  } catch { return null; }
}

/** How long a new worker may take to load, on a machine however busy, before it counts as broken. */
const WORKER_START_MS = 60_000;

async function next(): Promise<void> {
  const job = queue.shift();
  if (!job) { running = false; worker?.unref(); return; }
  running = true;
  const w = worker ??= startWorker();
  w.ref();
  let started: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([w.ready, new Promise<void>((res) => { started = setTimeout(res, WORKER_START_MS); })]);
  clearTimeout(started);
  const id = ++seq;
  const finish = (f: () => void) => {
    clearInterval(timer); w.off('message', onMessage); w.off('error', onError); w.off('exit', onExit);
    f(); void next();
  };
  const kill = (e: Error) => { if (worker === w) worker = undefined; void w.terminate(); finish(() => job.reject(e)); };
  const onMessage = (m: { id: number; text?: string | null; code?: string; message?: string }) => {
    if (m.id !== id) return;
    finish(() => (m.code
      ? job.reject(new HostError(m.code as HostCode, m.message ?? m.code))
      : job.resolve(m.text ?? null)));
  };
  const onError = (e: Error & { code?: string }) => kill(e.code === 'ERR_WORKER_OUT_OF_MEMORY'
    ? tooComplex(`its search needed over ${WORKER_HEAP_MB} MB`)
    : new HostError('E_QR_UNREADABLE', `the QR reader failed: ${String(e.message).split('\n')[0]}`));
  const onExit = () => kill(tooComplex('the QR reader stopped'));
  // The CPU clock is polled: a thread busy in jsQR cannot say how long it has been busy. A worker
  // that never said its id (no /proc) is judged by wall time.
  const t0 = performance.now(), cpu0 = w.cpu?.() ?? 0;
  const timer = setInterval(() => {
    const cpu = w.cpu?.() ?? null, wall = performance.now() - t0;
    const spent = cpu === null ? wall : cpu - cpu0;
    if (spent >= job.budgetMs || wall >= job.budgetMs * WALL_FACTOR) {
      kill(tooComplex(`${(job.total / 1000).toFixed(1)} s of searching went by`));
    }
  }, Math.min(50, Math.max(5, job.budgetMs / 10)));
  w.on('message', onMessage); w.on('error', onError); w.on('exit', onExit);
  w.postMessage({ id, png: job.png, width: job.head.width, height: job.head.height, gridTried: job.gridTried });
}

function inWorker(job: Omit<Job, 'resolve' | 'reject'>): Promise<string | null> {
  return new Promise((resolve, reject) => {
    queue.push({ ...job, resolve, reject });
    if (!running) void next();
  });
}

/** Images this small are decoded on the caller's thread, where a clean render is read without a worker. */
const LOCAL_PIXELS = 1_000_000;

/**
 * Decodes the first QR code in a PNG, in at most QR_BUDGET_MS (E_QR_TOO_COMPLEX past it).
 * @example const uri = await readQr(readFileSync('aws-mfa.png'));
 */
export async function readQr(png: Uint8Array, o: { budgetMs?: number } = {}): Promise<string> {
  const t0 = performance.now(), cpu0 = threadCpuMs(process.pid), budget = o.budgetMs ?? QR_BUDGET_MS;
  const head = pngHeader(png);
  if (head.interlaced) checkInterlacedSize(png, head);
  let text: string | null = null;
  // A clean render (most QR PNGs: AWS's, any QR library's) is read here, at one pixel per module;
  // anything else, or a miss, goes to the worker, whose search the deadline can stop.
  const local = head.width * head.height <= LOCAL_PIXELS;
  if (local) text = await searchGrid(await decodePng(png, head.width, head.height));
  // The budget is CPU time, on this thread as in the worker: on a starved machine the wall clock
  // runs on while this thread waits for a core, and that wait is not the image's cost.
  const cpu1 = cpu0 === null ? null : threadCpuMs(process.pid);
  const spent = cpu0 === null || cpu1 === null ? performance.now() - t0 : cpu1 - cpu0;
  text ??= await inWorker({ png, head, gridTried: local, budgetMs: budget - spent, total: budget });
  if (text) return text;
  throw new HostError('E_QR_UNREADABLE', 'no readable QR code in the image (try a sharper or larger screenshot)');
}
