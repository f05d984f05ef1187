// The HTTP face: Query-protocol POSTs (or GETs) on 127.0.0.1, SigV4 checked, one request's
// state change at a time, each saved before its answer goes out.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { hostClock, type HostClock } from '../../lib/clock.js';
import { makeDirs } from '../../lib/files.js';
import { PolicyError } from '../policy/grammar.js';
import { AwsError, LocalAwsError } from './errors.js';
import { authorize } from './authz.js';
import type { Caller, Ctx, Handler } from './context.js';
import { IAM_USERS } from './iam.js';
import { IAM_MANAGED } from './iam-managed.js';
import { IAM_INLINE } from './iam-policy.js';
import { IAM_MFA } from './iam-mfa.js';
import { defaultLimits, guard, serverOptions, type Guard, type Limits } from './limits.js';
import { acquireLock, lockHolder, type Holder, type Role } from './lock.js';
import { MAX_RESYNC_STEPS, RESYNC_STEPS } from './mfa.js';
import { BAD_TOKEN, verifySigV4 } from './sigv4.js';
import { newState, upgradeFixture } from './fixture.js';
import { loadState, roleArn, saveState, stateFile, userArn, type State } from './state.js';
import { SIMULATE } from './simulate.js';
import { STS, UNSUPPORTED } from './sts.js';
import { Input } from './validate.js';
import { errorXml, okXml, type Service } from './xml.js';

const VERSION: Record<Service, string> = { iam: '2010-05-08', sts: '2011-06-15' };
// Keyed by the caller's Action: a Map, so `toString` or `constructor` is not a handler.
const HANDLERS: Record<Service, Map<string, Handler>> = {
  iam: new Map(Object.entries({ ...IAM_USERS, ...IAM_MFA, ...IAM_INLINE, ...IAM_MANAGED, ...SIMULATE })),
  sts: new Map(Object.entries(STS)),
};
const MAX_BODY = 1 << 20;

export interface LocalAwsOptions {
  statePath: string;
  /** 0 or absent: any free port. */
  port?: number;
  /** Requests per second beyond which the answer is AWS's Throttling error. */
  throttle?: number;
  /** ResyncMFADevice's reach in steps either side of now (default RESYNC_STEPS, at most MAX_RESYNC_STEPS). */
  resyncWindow?: number;
  /** The TOTP clock; defaults to hostClock() (TOTP_FOB_NOW). SigV4 never uses it. */
  clock?: HostClock;
  /** The real clock in Unix seconds (tests may shift it; clients then sign with the same shift). */
  realNow?: () => number;
  /** One line per request (action, status, ms), never parameters. */
  log?: (line: string) => void;
  /** Who holds the state, as the lock tells others (default a `provision local-aws` server). */
  role?: Role;
  /** Allow every signed caller every action, as before identity policies were enforced (`local-aws --open`). */
  open?: boolean;
  /** Deadlines and socket caps (defaults: defaultLimits(), from the descriptor limit). */
  limits?: Partial<Limits>;
}

export interface Fixture {
  accountId: string; userName: string; userArn: string;
  accessKeyId: string; secretAccessKey: string; roleArn: string;
  /** The administrator (AdministratorAccess) for setup work the seed user's policy does not allow. */
  adminUserName: string; adminUserArn: string; adminAccessKeyId: string; adminSecretAccessKey: string;
}

export interface LocalAws {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  /** Identity policies are not enforced (`--open`). */
  open: boolean;
  port: number;
  fixture: Fixture;
  /** Sockets open now, and those closed to make room (evicted) or turned away (refused). */
  sockets: Guard['stats'];
  close(): Promise<void>;
}

export const lockPathOf = (statePath: string) => `${statePath}.lock`;

/** The live process serving this state file, if any (`provision --local` refuses then). */
export const localAwsHolder = (statePath: string): Holder | null => lockHolder(lockPathOf(statePath));

/** A token bucket: RATE tokens a second, at most RATE (at least 1) in hand. */
function bucket(rate: number): () => boolean {
  const cap = Math.max(1, rate);
  let tokens = cap, last = performance.now();
  return () => {
    const t = performance.now();
    tokens = Math.min(cap, tokens + ((t - last) / 1000) * rate);
    last = t;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
}

const tooLarge = () => new AwsError('RequestEntityTooLarge', `Request body exceeds ${MAX_BODY} bytes`);

/** The body, refused as soon as it (or its Content-Length) passes MAX_BODY: nobody streams us a gigabyte. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((res, rej) => {
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) { rej(tooLarge()); return; }
    const parts: Buffer[] = [];
    let n = 0;
    const over = (b: Buffer) => {
      n += b.length;
      if (n <= MAX_BODY) { parts.push(b); return; }
      req.off('data', over);
      rej(tooLarge());
    };
    req.on('data', over);
    req.on('end', () => res(Buffer.concat(parts)));
    req.on('error', rej);
    req.on('close', () => rej(new AwsError('RequestTimeout',
      'The client closed the connection before sending the whole request')));
  });
}

/** The seed scenario's user, key and role (checkState made sure all three exist). */
export function fixtureOf(s: State): Fixture {
  const key = s.keys[s.fixture.key]!;
  const admin = s.keys[s.fixture.adminKey!]!;
  return {
    accountId: s.accountId, userName: s.fixture.user, userArn: userArn(s, s.users[s.fixture.user]!),
    accessKeyId: key.id, secretAccessKey: key.secret, roleArn: roleArn(s, s.roles[s.fixture.role]!),
    adminUserName: admin.user, adminUserArn: userArn(s, s.users[admin.user]!), adminAccessKeyId: admin.id,
    adminSecretAccessKey: admin.secret,
  };
}

export async function startLocalAws(o: LocalAwsOptions): Promise<LocalAws> {
  const clock = o.clock ?? hostClock();
  const realNow = o.realNow ?? (() => Date.now() / 1000);
  if (o.throttle !== undefined && !(o.throttle > 0)) throw new LocalAwsError('E_USAGE',
    `throttle must be a positive rate per second, got ${o.throttle}`);
  const resyncWindow = o.resyncWindow ?? RESYNC_STEPS;
  if (!Number.isInteger(resyncWindow) || resyncWindow < 1 || resyncWindow > MAX_RESYNC_STEPS) {
    throw new LocalAwsError('E_USAGE',
      `the resync window must be 1 to ${MAX_RESYNC_STEPS} steps (a day), got ${o.resyncWindow}`);
  }
  try { makeDirs(dirname(o.statePath)); } catch (e) {
    throw new LocalAwsError('E_IO',
      `cannot create the directory of ${o.statePath}: ${(e as Error).message}: point XDG_STATE_HOME (or local-aws ` +
      `--state) at a writable place`);
  }
  const lock = acquireLock(lockPathOf(o.statePath), o.statePath, o.role);
  let state: State;
  const file = stateFile(o.statePath);
  let fixture: Fixture;
  try {
    const loaded = loadState(file);
    state = loaded ?? newState(Math.floor(realNow()));
    if (!loaded || upgradeFixture(state, Math.floor(realNow()))) await saveState(file, state);
    fixture = fixtureOf(state);
  } catch (e) { lock.release(); throw e; }
  const limits: Limits = { ...defaultLimits(), ...o.limits };

  const take = o.throttle !== undefined ? bucket(o.throttle) : () => true;
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn);
    chain = p.catch(() => undefined);
    return p;
  };

  const secretFor = (akid: string): string | null => {
    const k = state.keys[akid];
    if (k) return k.status === 'Active' ? k.secret : null;
    return state.sessions[akid]?.secret ?? null;
  };

  function callerOf(akid: string, token: string | undefined): Caller {
    const k = state.keys[akid];
    if (k) {
      if (token !== undefined) throw new AwsError('InvalidClientTokenId', BAD_TOKEN);
      return { kind: 'user', key: k, user: state.users[k.user]! };
    }
    const s = state.sessions[akid];
    if (!s || token !== s.token) throw new AwsError('InvalidClientTokenId', BAD_TOKEN);
    if (realNow() >= s.expires) throw new AwsError('ExpiredToken',
      'The security token included in the request is expired');
    if (s.kind === 'role') return { kind: 'role', session: s, role: state.roles[s.role!]! };
    return { kind: 'session', session: s, user: state.users[s.user!]! };
  }

  // Group commit: one write at a time, and every change made while one is on its way to the
  // disk rides on the next, so 8 concurrent clients pay one fsync pair per round, not 8 in a row.
  // No response leaves before the write that holds its change.
  let next: Promise<void> | null = null;
  let last: Promise<unknown> = Promise.resolve();
  const persist = (): Promise<void> => {
    if (next) return next;
    const mine: Promise<void> = last.then(() => {
      next = null; // from here on, changes wait for the write after this one
      return saveState(file, state);
    });
    next = mine;
    last = mine.catch(() => {});
    return mine;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = performance.now();
    const requestId = randomUUID();
    let service: Service = 'iam';
    let action = '?';
    let status = 200, xml: string;
    try {
      const body = await readBody(req);
      if (!take()) throw new AwsError('Throttling', 'Rate exceeded');
      const url = new URL(req.url ?? '/', 'http://local');
      const params = new URLSearchParams(url.search);
      if (req.method === 'POST') for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.append(k, v);
      const version = params.get('Version');
      // Route by Version; without one, by the service the request was signed for.
      const scoped = /Credential=[^/]*\/[^/]*\/[^/]*\/(iam|sts)\//.exec(req.headers.authorization ?? '')?.[
        1] as Service | undefined;
      service = version === VERSION.sts ? 'sts' : version === VERSION.iam ? 'iam' : scoped ?? 'iam';
      const query = Object.create(null) as Record<string, string | string[]>;
      for (const [k, v] of url.searchParams) {
        const had = query[k];
        query[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
      }
      let path = url.pathname;
      try { path = decodeURIComponent(path); } catch { /* signed as sent */ }
      sockets.working(req, res);
      const signed = await verifySigV4({ method: req.method ?? 'GET', path, query, headers: req.headers, body },
        service, secretFor, realNow() * 1000);
      action = params.get('Action') ?? '';
      if (!action) throw new AwsError('MissingAction', 'Missing Action');
      const handler = HANDLERS[service].get(action);
      if (!handler || (version !== null && version !== VERSION[service])) {
        throw new AwsError('InvalidAction',
          `Could not find operation ${action} for version ${version ?? VERSION[service]}`);
      }
      let changed = false;
      const result = await serial(async () => {
        const ctx: Ctx = {
          state, caller: callerOf(signed.accessKeyId, signed.token),
            p: new Input(params, action, service === 'sts' ? UNSUPPORTED : undefined),
          now: realNow(), totpNow: clock.now(), resyncWindow, changed: false, region: signed.region,
          ...(o.open ? { open: true } : {}),
        };
        // Before the handler reads or changes anything; `--open` skips it (trust policies still hold).
        if (!o.open) authorize({ state, caller: ctx.caller, service, action, params, now: ctx.now, totpNow: ctx.totpNow,
          region: signed.region, ...(req.socket.remoteAddress ? { sourceIp: req.socket.remoteAddress } : {}) });
        try { return await handler(ctx); } finally { changed = ctx.changed; }
      }).finally(() => (changed ? persist() : undefined));
      xml = okXml(service, action, result, requestId);
    } catch (e) {
      const err = e instanceof AwsError ? e : e instanceof PolicyError ? new AwsError(e.code, e.message)
        : new AwsError(service === 'iam' ? 'ServiceFailure' : 'InternalFailure', 'An internal error occurred.');
      status = err.status;
      xml = errorXml(service, err, requestId);
    }
    res.writeHead(status, {
      'x-amzn-RequestId': requestId, 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(xml),
      // A body refused half-read leaves the rest on the wire: close rather than read it.
      ...(status === 413 ? { Connection: 'close' } : {}),
    });
    res.end(xml);
    o.log?.(`${service} ${action} ${status} ${(performance.now() - t0).toFixed(0)}ms`);
  }

  const server: Server = createServer(serverOptions(limits), (req, res) => { void handle(req, res); });
  const sockets = guard(server, limits);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port ?? 0, '127.0.0.1', () => { server.off('error', reject); resolve(); });
    });
  } catch (e) {
    lock.release();
    const code = (e as NodeJS.ErrnoException).code;
    throw new LocalAwsError('E_PORT', code === 'EADDRINUSE'
      ? `port ${o.port} is already in use: pick another with --port N (0 for any free port)`
      : `cannot listen on 127.0.0.1:${o.port}: ${(e as Error).message}`);
  }
  const port = (server.address() as { port: number }).port;
  let closed: Promise<void> | null = null;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    open: !!o.open,
    port,
    fixture,
    sockets: sockets.stats,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => chain).then(() => last).then(() => lock.release(), () => lock.release());
      return closed;
    },
  };
}
