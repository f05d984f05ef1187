// A process that commits to a Journaled document until killed, for journal.test.ts's kill rounds:
//   node --import tsx journal-writer.ts PATH   commit users u0, u1, … one per commit, acking each
// Each ack is a synchronous write after the commit resolved, so an ack the parent read was durable.
import { writeSync } from 'node:fs';
import { Journaled } from '../../lib/journal.js';

type Doc = { version: number; owner: string; users: Record<string, { n: number }> };
const j = new Journaled<Doc>(process.argv[2]!, ['users']);
const doc: Doc = j.load((t) => JSON.parse(t) as Doc) ?? { version: 1, owner: 'a', users: {} };
writeSync(1, 'ready\n');
for (let i = 0; ; i++) {
  doc.users[`u${i}`] = { n: i };
  await j.commit(doc);
  writeSync(1, `ok ${i}\n`);
}
