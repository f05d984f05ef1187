// Secret files replaced whole: 0600, the new bytes or the old, and durable when the promise resolves:
// the directory's fsync, shared by the writers of one directory, always starts after a writer's rename.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs, { readFileSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { writeAtomic } from '../../lib/files.js';
import { tempDir } from '../helpers.js';

const S = suite('writeAtomic');
let t: ReturnType<typeof tempDir>;
S.before.each(() => { t = tempDir('lib-files-'); });
S.after.each(() => t.done());

type Ev = { what: 'renamed' | 'sync-start' | 'sync-end' | 'resolved'; path?: string; sync?: number };

/** Runs fn with node:fs's rename and fsync logged (directory fsyncs only) in one timeline. */
async function traced<T>(fn: (log: Ev[]) => Promise<T>): Promise<{ out: T; log: Ev[] }> {
  const log: Ev[] = [];
  let syncs = 0;
  const { rename, fsync } = fs;
  fs.rename = ((a: string, b: string, cb: (e: Error | null) => void) =>
    rename(a, b, (e) => { if (!e) log.push({ what: 'renamed', path: b }); cb(e); })) as typeof fs.rename;
  fs.fsync = ((fd: number, cb: (e: Error | null) => void) => {
    if (!fs.fstatSync(fd).isDirectory()) return fsync(fd, cb);
    const id = syncs++;
    log.push({ what: 'sync-start', sync: id });
    fsync(fd, (e) => { log.push({ what: 'sync-end', sync: id }); cb(e); });
  }) as typeof fs.fsync;
  syncBuiltinESMExports();
  try {
    const out = await fn(log);
    return { out, log };
  } finally {
    fs.rename = rename; fs.fsync = fsync;
    syncBuiltinESMExports();
  }
}

S('16 writers in one directory: every file whole and 0600, fewer directory syncs than writers', async () => {
  const files = Array.from({ length: 16 }, (_, i) => join(t.dir, `f${i}.dev`));
  const { log } = await traced((log) => Promise.all(files.map(async (f, i) => {
    await writeAtomic(f, `secret ${i}\n`);
    log.push({ what: 'resolved', path: f });
  })));
  files.forEach((f, i) => {
    assert.is(readFileSync(f, 'utf8'), `secret ${i}\n`);
    assert.is(statSync(f).mode & 0o777, 0o600);
  });
  const syncs = log.filter((e) => e.what === 'sync-start').length;
  assert.ok(syncs >= 1 && syncs < files.length, `${syncs} directory syncs for ${files.length} writers`);
  // Durable on resolve: some directory sync started after the file's rename and ended before it resolved.
  for (const f of files) {
    const renamed = log.findIndex((e) => e.what === 'renamed' && e.path === f);
    const resolved = log.findIndex((e) => e.what === 'resolved' && e.path === f);
    assert.ok(renamed >= 0 && resolved > renamed, f);
    const covered = log.slice(renamed, resolved).some((e) => e.what === 'sync-start' &&
      log.slice(renamed, resolved).some((x) => x.what === 'sync-end' && x.sync === e.sync));
    assert.ok(covered, `${f}: no directory sync between its rename and its resolve`);
  }
});

S('one writer alone syncs its directory once, and again for the next write', async () => {
  const f = join(t.dir, 'one.dev');
  const { log } = await traced(async () => { await writeAtomic(f, 'a'); await writeAtomic(f, 'b'); });
  assert.is(log.filter((e) => e.what === 'sync-start').length, 2);
  assert.is(readFileSync(f, 'utf8'), 'b');
});

S('writers in two directories each get their own directory synced', async () => {
  const a = join(t.dir, 'a'), b = join(t.dir, 'b');
  fs.mkdirSync(a); fs.mkdirSync(b);
  const { log } = await traced(() => Promise.all([writeAtomic(join(a, 'x'), '1'), writeAtomic(join(b, 'y'), '2')]));
  assert.is(log.filter((e) => e.what === 'sync-start').length, 2);
});

S.run();
