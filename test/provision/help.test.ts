// The --help examples are transcripts that work as shown under --local: every `$` line of each
// help text runs (through `sh`, with `provision` and `token` on PATH, PROVISION_LOCAL=1, a fresh
// state and token per help text, a simulated minute apart) and must exit as shown (1 when the
// transcript shows a `provision:` error, else 0) and print lines of the shape shown.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROVISION, TOKEN, node, run } from '../helpers.js';
import { at, box, expectExit } from './lib.js';

const H = suite('--help examples');

interface Step { cmd: string; shown: string[] }

/** The `$ ...` lines of a help text, each with the output lines shown under it. */
export function transcript(help: string): Step[] {
  const steps: Step[] = [];
  let aside = false; // a (remark) may run over several lines
  for (const raw of help.split('\n')) {
    const cmd = /^\s+\$ (.*)$/.exec(raw);
    if (cmd) { steps.push({ cmd: cmd[1]!.trim(), shown: [] }); continue; }
    const line = raw.trim();
    if (aside || line.startsWith('(')) { aside = !line.endsWith(')'); continue; }
    if (!line || /^[(#~[]/.test(line) || /^[a-z_]+ = /.test(line)) {
      if (!line) steps.push({ cmd: '', shown: [] });
      continue;
    }
    steps.at(-1)?.shown.push(line);
  }
  return steps.filter((s) => s.cmd);
}

/** A shown line as a pattern: FOB serials, long numbers (steps, ports, times), `…` and column padding vary. */
export function shape(line: string): RegExp {
  const esc = line.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp('^' + esc.replace(/FOB\d{8}/g, 'FOB\\d{8}').replace(/\d{4,}/g, '\\d+').replace(/…/g, '.*')
    .replace(/ {2,}/g, '\\s+') + '$');
}

/** Needs a running `provision local-aws` or real AWS: covered by local-command.test.ts instead. */
const elsewhere = (cmd: string) => /^provision local-aws\b|^aws |--profile |--endpoint-url /.test(cmd);

const HELPS = [
  [], ['create'], ['list'], ['session'], ['enable'], ['resync'], ['remove'], ['local-aws'], ['policy', 'check'],
];

for (const sub of HELPS) {
  H(`provision ${[...sub, '--help'].join(' ')}: its examples run as shown under --local`, async () => {
    const help = expectExit(await node(PROVISION, [...sub, '--help']), 0, 'help').stdout;
    assert.match(help, /Examples:|The seed scenario/, 'it has examples');
    const steps = transcript(help);
    assert.ok(steps.length >= 2, `examples in: ${help}`);
    for (const s of steps) assert.not.match(s.cmd, /\balice\b|\bbob\b/, 'no user the local fixture lacks');
    for (const l of steps.flatMap((s) => s.shown)) {
      for (const t of l.match(/FOB[\w-]*/g) ?? []) {
        if (t !== 'FOB') assert.match(t, /^FOB\d{8}$/, `token serials look like the real ones: ${t}`);
      }
    }
    const b = box();
    try {
      const bin = join(b.dir, 'bin');
      mkdirSync(bin);
      for (const [name, js] of [['provision', PROVISION], ['token', TOKEN]]) {
        writeFileSync(join(bin, name!), `#!/bin/sh\nexec ${process.execPath} ${js} "$@"\n`);
        chmodSync(join(bin, name!), 0o755);
      }
      let i = 0;
      for (const s of steps) {
        if (elsewhere(s.cmd)) continue;
        const env = { ...b.env, PATH: `${bin}:${process.env.PATH}`, PROVISION_LOCAL: '1', TOTP_FOB_NOW: at(60 * i++) };
        const r = await run('sh', ['-c', s.cmd], { cwd: b.dir, env });
        const fails = s.shown.some((l) => l.startsWith('provision: ') && !l.startsWith('provision: warning'));
        assert.is(r.code, fails ? 1 : 0, `$ ${s.cmd}\n${r.stdout}${r.stderr}`);
        const got = `${r.stdout}${r.stderr}`.split('\n');
        for (const l of s.shown) {
          assert.ok(got.some((g) => shape(l).test(g)), `$ ${s.cmd}\nshown:  ${l}\nprinted:\n${got.join('\n')}`);
        }
      }
      if (sub[0] !== 'local-aws') assert.ok(i >= 2, 'ran the examples');
    } finally { b.done(); }
  });
}

H('help piped into a reader that has gone (`provision --help | true`) exits 0, with no EPIPE stack trace', async () => {
  // `true` exits before node has started, so the help's write meets a closed pipe.
  const r = await run('bash', ['-c', `set -o pipefail; "${process.execPath}" "${PROVISION}" --help | true`]);
  assert.is(r.stderr, '');
  assert.is(r.code, 0);
});

H.run();
