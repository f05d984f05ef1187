// The QR search off the caller's thread, so that qr.ts can stop it at its deadline (terminate()).
// First it says {tid}; then one message in, {id, png, width, height, gridTried}, and one out,
// {id, text} or {id, code, message}.
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { decodePng, searchAll } from './qr-search.js';

// Linux names this thread's CPU clock in /proc (its first field is the thread id): qr.ts then
// bounds the search by CPU time, which a busy machine does not eat into, rather than wall time.
let tid: number | null = null;
try { tid = Number(readFileSync('/proc/thread-self/stat', 'latin1').split(' ')[0]) || null; } catch { /* not Linux */ }
parentPort!.postMessage({ tid });

type Job = { id: number; png: Uint8Array; width: number; height: number; gridTried: boolean };
parentPort!.on('message', async (m: Job) => {
  try {
    const text = await searchAll(await decodePng(m.png, m.width, m.height), m.gridTried);
    parentPort!.postMessage({ id: m.id, text });
  } catch (e) {
    const err = e as { code?: unknown; message?: unknown };
    parentPort!.postMessage({
      id: m.id, code: typeof err?.code === 'string' ? err.code : 'E_QR_UNREADABLE', message: String(err?.message ?? e),
    });
  }
});
