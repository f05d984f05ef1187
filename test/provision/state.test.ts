// provision's own state (the serial → credential mapping) and the credential id rule.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, run, tempDir } from '../helpers.js';
import { fitLabel, labelFor, MAX_ID, readMapping, updateMapping } from '../../provision/mapping.js';
import { parseList, checkItems } from '../../provision/batch.js';
import { ProvisionError } from '../../provision/errors.js';
import { joinRows, formatRows } from '../../provision/list.js';

const M = suite('mapping file');

const entry = (credential: string) =>
  ({ token: 'FOB1', credential, name: credential, created: '2026-01-01T00:00:00Z' });

M('is written 0600, atomically, and read back', async () => {
  const t = tempDir();
  try {
    const p = join(t.dir, 'sub', 'provision.json');
    await updateMapping(p, (m) => { m['arn:aws:iam::1:mfa/a'] = entry('A'); });
    assert.is(statSync(p).mode & 0o777, 0o600);
    assert.equal(readMapping(p)['arn:aws:iam::1:mfa/a']!.credential, 'A');
    assert.equal(readdirSync(join(t.dir, 'sub')).sort(), ['provision.json'], 'no temp or lock file left');
  } finally { t.done(); }
});

M('a mapping readable by others is refused with the chmod that fixes it', async () => {
  const t = tempDir();
  try {
    const p = join(t.dir, 'provision.json');
    await updateMapping(p, () => {});
    chmodSync(p, 0o644);
    try { readMapping(p); assert.unreachable(); } catch (e) {
      assert.is((e as ProvisionError).code, 'E_STATE');
      assert.match((e as Error).message, `chmod 600 ${p}`);
    }
  } finally { t.done(); }
});

M('a corrupt mapping is refused, not overwritten', async () => {
  const t = tempDir();
  try {
    const p = join(t.dir, 'provision.json');
    writeFileSync(p, '{"devices": [', { mode: 0o600 });
    try { await updateMapping(p, () => {}); assert.unreachable(); } catch (e) {
      assert.is((e as ProvisionError).code, 'E_STATE');
    }
    assert.is(readFileSync(p, 'utf8'), '{"devices": [');
  } finally { t.done(); }
});

M('64 concurrent updates in one process all land', async () => {
  const t = tempDir();
  try {
    const p = join(t.dir, 'provision.json');
    await Promise.all(Array.from({ length: 64 }, (_, i) => updateMapping(p, (m) => { m[`s${i}`] = entry(`c${i}`); })));
    assert.is(Object.keys(readMapping(p)).length, 64);
  } finally { t.done(); }
});

M('two processes updating at once lose nothing (the lock file)', async () => {
  const t = tempDir();
  try {
    const p = join(t.dir, 'provision.json');
    const script = (tag: string) =>
      `import { updateMapping } from ${JSON.stringify(join(ROOT, 'provision/mapping.ts'))};
      for (let i = 0; i < 25; i++) await updateMapping(${JSON.stringify(p)}, (m) => { ` +
      `m['${tag}' + i] = { token: 'T', credential: 'c', name: 'n', created: '' }; });`;
    const runs = await Promise.all(['a', 'b'].map((tag) =>
      run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(tag)], { cwd: ROOT })));
    for (const r of runs) assert.is(r.code, 0, r.stderr);
    assert.is(Object.keys(readMapping(p)).length, 50);
  } finally { t.done(); }
});

const L = suite('credential id rule (YKOATH names hold 64 bytes)');

L('Amazon Web Services:NAME@ACCOUNT while it fits, AWS:NAME@ACCOUNT after, refusal beyond', () => {
  const acct = '123456789012';
  const n31 = 'a'.repeat(31), n32 = 'a'.repeat(32), n47 = 'a'.repeat(47), n48 = 'a'.repeat(48);
  assert.equal(labelFor(n31, acct),
    { issuer: 'Amazon Web Services', account: `${n31}@${acct}`, id: `Amazon Web Services:${n31}@${acct}`,
      shortened: false });
  assert.is(Buffer.byteLength(labelFor(n31, acct).id), MAX_ID);
  assert.equal(labelFor(n32, acct).id, `AWS:${n32}@${acct}`);
  assert.is(labelFor(n47, acct).id.length, 64);
  try { labelFor(n48, acct); assert.unreachable(); } catch (e) {
    assert.is((e as ProvisionError).code, 'E_ID_TOO_LONG');
    assert.is((e as ProvisionError).exit, 2);
    assert.match((e as Error).message, /at most 47 bytes/);
  }
});

L('bytes, not characters, count', () => {
  assert.is(fitLabel('é'.repeat(16) + '@123456789012')!.shortened, true); // 20 + 32 + 13 = 65 bytes
  assert.is(fitLabel('é'.repeat(15) + '@123456789012')!.shortened, false);
});

const B = suite('batch input');

B('--from lists: NAME [USER], comments and blank lines', () => {
  assert.equal(parseList('# factory line 7\nalice alice-user\n\n  bob   # no user\ncarol\tcarol-u\n'), [
    { name: 'alice', user: 'alice-user' }, { name: 'bob' }, { name: 'carol', user: 'carol-u' },
  ]);
  try { parseList('a b c'); assert.unreachable(); } catch (e) { assert.is((e as ProvisionError).exit, 2); }
});

B('names are checked up front: pattern, duplicates, the id rule', () => {
  for (const bad of [[{ name: 'a b' }], [{ name: 'x' }, { name: 'x' }], [{ name: 'n'.repeat(48) }], []]) {
    try { checkItems(bad, '123456789012'); assert.unreachable(); } catch (e) {
      assert.is((e as ProvisionError).exit, 2);
    }
  }
  checkItems([{ name: 'a+b=c,d.e@f_g-h' }], '123456789012');
});

const J = suite('list join');

J('on-token, renamed, gone, other-token and unmapped rows', () => {
  const map = {
    s1: { token: 'T', credential: 'Amazon Web Services:a@1', name: 'a', created: '' },
    s2: { token: 'T', credential: 'Amazon Web Services:b@1', name: 'b', created: '' },
    s3: { token: 'T', credential: 'Amazon Web Services:c@1', name: 'c', created: '' },
    s4: { token: 'U', credential: 'Amazon Web Services:d@1', name: 'd', created: '' },
  };
  const devices = ['s1', 's2', 's3', 's4', 's5'].map((s) =>
    ({ SerialNumber: s, ...(s === 's1' ? { User: { UserName: 'alice' }, EnableDate: new Date(0) } : {}) }));
  const rows = joinRows(devices, map,
    { serial: 'T', credentials: [{ id: 'Amazon Web Services:a@1' }, { id: 'work:b@1' }] });
  assert.equal(rows.map((r) => r.holding), ['on-token', 'renamed', 'gone', 'other-token', 'unmapped']);
  assert.is(rows[1]!.renamedTo, 'work:b@1');
  assert.is(rows[0]!.userName, 'alice');
  const text = formatRows(rows).join('\n');
  assert.match(text, /RENAMED to 'work:b@1'/);
  assert.match(text, /GONE from token T/);
});

M.run();
L.run();
B.run();
J.run();
