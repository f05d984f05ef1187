// Slow and greedy clients. A socket that never finishes its headers (slowloris), or a client that
// opens hundreds of idle connections, must not use up the process's file descriptors: once the
// kernel refuses accept(), every legitimate request fails too. So every phase of a request has a
// deadline, and the number of sockets is capped below the descriptor limit, per client address
// and in all. A newcomer over a cap takes the place of the socket idle the longest (one with no
// request in progress) once it has had its chance to send one, so idle sockets cannot lock out a
// client that actually sends requests.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface Limits {
  /** Complete request headers within this (slowloris). */
  headersMs: number;
  /** The whole request, body included, within this. */
  requestMs: number;
  /** An idle keep-alive socket is closed after this. */
  keepAliveMs: number;
  /** Sockets open at once, in all and per remote address. */
  maxSockets: number;
  maxSocketsPerAddress: number;
}

/** The soft RLIMIT_NOFILE, as Node left it (it raises the soft limit to the hard one at startup). */
export function fdLimit(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) return Number(m[1]);
  } catch { /* not Linux */ }
  return 1024;
}

/** Deadlines generous for any real client; caps that leave half the descriptors to the rest of the process. */
export function defaultLimits(fds = fdLimit()): Limits {
  const maxSockets = Math.max(16, Math.min(512, Math.floor(fds / 2)));
  return {
    headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000,
    maxSockets, maxSocketsPerAddress: Math.max(8, Math.floor(maxSockets / 2)),
  };
}

/** The createServer options that carry the deadlines (checked every second, not Node's default 30 s). */
export const serverOptions = (l: Limits) => ({
  headersTimeout: l.headersMs, requestTimeout: l.requestMs, keepAliveTimeout: l.keepAliveMs,
  connectionsCheckingInterval: Math.min(1000, l.headersMs),
});

export interface Guard {
  /** What the guard did so far. */
  stats: { evicted: number; refused: number; open: number };
  /** Marks a request's socket busy (not to be evicted) until its response is done: call once its body is in. */
  working(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * Caps `server`'s sockets (created with serverOptions). A socket is busy from the moment its
 * request is whole to the end of its response; otherwise it is idle, and sockets are ordered by
 * when they last became idle. A slow body does not make a socket busy, so a slow POST is evicted
 * like a slow header.
 */
export function guard(server: Server, l: Limits): Guard {
  // A socket that stops talking altogether (mid-response to a reader that never reads, say).
  server.setTimeout(l.requestMs, (s) => s.destroy());
  const stats = { evicted: 0, refused: 0, open: 0 };
  const all = new Set<Socket>();
  const byAddr = new Map<string, Set<Socket>>();
  const busy = new WeakSet<Socket>();
  // Loop turns that accepted sockets: a socket born in this turn or the last has not yet been read
  // (its first bytes are seen in the poll after its accept), so it is not evicted yet. A burst of
  // accepts then refuses its own surplus instead of evicting each other and the legitimate ones.
  const born = new WeakMap<Socket, number>();
  let turn = 0, ticking = false;
  const tick = () => { if (!ticking) { ticking = true; setImmediate(() => { turn++; ticking = false; }); } };
  const addrOf = (s: Socket) => s.remoteAddress ?? '?';
  const forget = (s: Socket) => {
    all.delete(s);
    const set = byAddr.get(addrOf(s));
    set?.delete(s);
    if (set?.size === 0) byAddr.delete(addrOf(s));
    stats.open = all.size;
  };
  const track = (s: Socket) => {
    all.add(s);
    const a = addrOf(s);
    (byAddr.get(a) ?? byAddr.set(a, new Set()).get(a)!).add(s);
    stats.open = all.size;
  };
  /** Closes the longest-idle socket among `pool`; false when every one is busy. */
  const evict = (pool: Set<Socket>): boolean => {
    for (const s of pool) {
      if (busy.has(s) || turn - (born.get(s) ?? 0) < 2) continue;
      forget(s);
      s.destroy();
      stats.evicted++;
      return true;
    }
    return false;
  };

  server.on('connection', (s: Socket) => {
    tick();
    born.set(s, turn);
    const mine = byAddr.get(addrOf(s));
    if ((mine && mine.size >= l.maxSocketsPerAddress && !evict(mine)) || (all.size >= l.maxSockets && !evict(all))) {
      stats.refused++;
      s.destroy();
      return;
    }
    track(s);
    s.once('close', () => forget(s));
  });
  return {
    stats,
    working(req, res) {
      const s = req.socket;
      if (!all.has(s)) return;
      busy.add(s);
      res.once('close', () => {
        busy.delete(s);
        // Idle again, and now the newest: queued behind the sockets that sent nothing.
        if (all.has(s) && !s.destroyed) { forget(s); track(s); }
      });
    },
  };
}
