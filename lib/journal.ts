// A JSON document of record collections, kept as a snapshot plus an append-only journal. Rewriting
// the whole document on every change costs O(state) bytes per commit: at 100 devices/s and a few
// hundred KB of account that is most of a small disk's write budget (measured by the provisioning bench). Here a
// commit appends only the records that changed, one fsynced line, and the snapshot is rewritten
// (atomically) only once the journal has grown as large as it.
//
//   <path>          the snapshot: the document, whole (old files load as they are)
//   <path>.journal  one line per commit: [[collection, id, record?] | [key, value], ...]
//
// Replaying the journal over the snapshot is idempotent (every op sets or deletes a whole record),
// so a crash between writing a new snapshot and emptying the journal loses nothing. A torn last
// line (a crash mid-append, never acknowledged) is ignored and cut off before the next append.
import { readFileSync, statSync, truncateSync } from 'node:fs';
import { appendDurable, chmodHint, openBits, writeAtomic } from './files.js';

type Doc = Record<string, unknown>;
/** [collection, id, record] sets, [collection, id] deletes, [key, value] sets a top-level value. */
type Op = [string, string, unknown] | [string, string] | [string, unknown];

export class JournalError extends Error {
  constructor(readonly code: 'E_PERMS' | 'E_CORRUPT', message: string) { super(message); }
}

export const journalPath = (path: string) => `${path}.journal`;

/** A record's key in commit's `touched`. */
export const recordKey = (collection: string, id: string) => `${collection}\0${id}`;

/**
 * The journal may grow to this many bytes (or the snapshot's size, if larger) before a snapshot
 * replaces it. TOTP_FOB_JOURNAL_BYTES lowers it so crash tests reach the snapshot in a few commits.
 */
const JOURNAL_BYTES = Number(process.env.TOTP_FOB_JOURNAL_BYTES) || 64 << 10;

/** What one snapshot + journal pair holds, as last read or written by this process. */
export class Journaled<T extends object> {
  private last = new Map<string, string>();
  private journalBytes = 0;
  private snapshotBytes = 0;
  /** Where the journal's complete lines end (a torn tail starts here). */
  private goodBytes = 0;

  constructor(readonly path: string, private readonly collections: readonly string[]) {}

  /** The file's identity: changes whenever anyone commits (snapshot renamed in, or journal grown). */
  identity(): string {
    const id = (p: string) => {
      try { const s = statSync(p); return `${s.ino}:${s.size}:${s.mtimeMs}`; } catch { return '-'; }
    };
    return `${id(this.path)}|${id(journalPath(this.path))}`;
  }

  /**
   * Reads the snapshot (null when there is none) and replays the journal over it. `parse` checks
   * the snapshot's shape; secrets make a file open to others an error, as for the snapshot.
   */
  load(parse: (text: string) => T): T | null {
    let text: string;
    try { text = readFileSync(this.path, 'utf8'); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') { this.reset(null); return null; }
      throw e;
    }
    const doc = parse(text) as T & Doc;
    this.snapshotBytes = Buffer.byteLength(text);
    const jp = journalPath(this.path);
    let lines = '';
    try {
      if (openBits(statSync(jp).mode)) {
        const why = `${jp} holds what ${this.path} holds, but others can read it`;
        throw new JournalError('E_PERMS', `${why}: ${chmodHint(jp)}`);
      }
      lines = readFileSync(jp, 'utf8');
    } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
    const end = lines.lastIndexOf('\n') + 1;
    let at = 0;
    for (const line of lines.slice(0, end).split('\n').slice(0, -1)) {
      at++;
      let ops: Op[];
      try {
        ops = JSON.parse(line) as Op[];
        if (!Array.isArray(ops) || !ops.every(wellFormed)) throw new Error();
      } catch {
        const fix = `move ${this.path} and its .journal away, or restore them`;
        throw new JournalError('E_CORRUPT', `${jp} line ${at} is damaged: ${fix}`);
      }
      for (const op of ops) this.apply(doc, op);
    }
    this.journalBytes = Buffer.byteLength(lines);
    this.goodBytes = Buffer.byteLength(lines.slice(0, end));
    this.reset(doc);
    return doc;
  }

  /**
   * Makes `doc` durable: the changed records appended, or a fresh snapshot once the journal is big.
   * `touched` (keys made by recordKey) names every record that may have changed since the last
   * successful commit or load; the others are taken as they were, not serialized again to find out, which
   * makes a commit O(changes) instead of O(records). Without it every record is compared.
   */
  async commit(doc: T, touched?: ReadonlySet<string>): Promise<void> {
    const ops: string[] = [];
    const now = this.entries(doc as Doc, touched);
    for (const [k, v] of now) if (this.last.get(k) !== v) ops.push(op(k, v));
    for (const k of this.last.keys()) if (!now.has(k)) ops.push(op(k, undefined));
    if (ops.length === 0) return;
    const line = `[${ops.join(',')}]\n`;
    const bytes = Buffer.byteLength(line);
    if (this.snapshotBytes === 0 || this.journalBytes + bytes > Math.max(JOURNAL_BYTES, this.snapshotBytes)) {
      const text = JSON.stringify(doc) + '\n';
      await writeAtomic(this.path, text);
      // The snapshot holds everything the journal did: emptying it may now fail or be lost freely.
      try { truncateSync(journalPath(this.path), 0); } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      this.snapshotBytes = Buffer.byteLength(text);
      this.journalBytes = this.goodBytes = 0;
    } else {
      await this.append(line);
      this.journalBytes = this.goodBytes = this.goodBytes + bytes;
    }
    this.last = now;
  }

  private async append(line: string): Promise<void> {
    // Cut a torn tail first, or this line would be glued to it and unreadable.
    const cut = this.journalBytes !== this.goodBytes ? this.goodBytes : undefined;
    await appendDurable(journalPath(this.path), line, cut);
  }

  private reset(doc: Doc | null): void {
    this.last = doc ? this.entries(doc) : new Map();
    if (!doc) this.snapshotBytes = this.journalBytes = this.goodBytes = 0;
  }

  private entries(doc: Doc, touched?: ReadonlySet<string>): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, v] of Object.entries(doc)) {
      if (this.collections.includes(k) && v && typeof v === 'object') {
        for (const [id, rec] of Object.entries(v as Doc)) {
          const key = recordKey(k, id);
          m.set(key, (touched && !touched.has(key) ? this.last.get(key) : undefined) ?? JSON.stringify(rec));
        }
      } else m.set(k, JSON.stringify(v));
    }
    return m;
  }

  private apply(doc: Doc, op: Op): void {
    // Ids are users' names: `__proto__` or `toString` must land as records, so every write defines
    // an own property (an assignment to `__proto__` would replace the prototype instead).
    if (op.length === 3 || (op.length === 2 && this.collections.includes(op[0]) && typeof op[1] === 'string')) {
      const [c, id] = op as [string, string];
      let col = Object.hasOwn(doc, c) ? doc[c] as Doc : undefined;
      if (!col || typeof col !== 'object') define(doc, c, col = Object.create(null) as Doc);
      if (op.length === 3) define(col, id, op[2]); else delete col[id];
    } else define(doc, op[0], op[1]);
  }
}

const define = (o: Doc, k: string, value: unknown) =>
  Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });

/** [string, string, record], [string, string] or [string, value]: anything else is a damaged line. */
const wellFormed = (op: unknown): op is Op =>
  Array.isArray(op) && (op.length === 2 || op.length === 3) && typeof op[0] === 'string' &&
  (op.length === 2 || typeof op[1] === 'string');

/** One op as JSON text, the record's own JSON spliced in as it was compared. */
function op(key: string, json: string | undefined): string {
  const cut = key.indexOf('\0');
  if (cut < 0) return `[${JSON.stringify(key)},${json ?? 'null'}]`;
  const head = `${JSON.stringify(key.slice(0, cut))},${JSON.stringify(key.slice(cut + 1))}`;
  return json === undefined ? `[${head}]` : `[${head},${json}]`;
}
