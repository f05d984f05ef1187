// `npm start`: the narrated seed scenario, offline, leaving nothing behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { ROOT, run, tempDir } from '../helpers.js';


test('npm start narrates the seed scenario, exits 0, and leaves no temp state', async () => {
  const home = tempDir(), tmp = tempDir();
  // Its own TMPDIR: other suites (the README's `npm start`) may run a demo beside this one.
  const demos = () => readdirSync(tmp.dir).filter((f) => f.startsWith('fob-demo-'));
  try {
    const r = await run('npm', ['start', '--silent'], {
      cwd: ROOT, env: { PATH: process.env.PATH, HOME: home.dir, TMPDIR: tmp.dir, NO_COLOR: '1' }, timeoutMs: 120_000,
    });
    assert.is(r.code, 0, r.stderr);
    const out = r.stdout;
    const steps = [
      /^1\. A local IAM\+STS endpoint on http:\/\/127\.0\.0\.1:\d+$/m,
      /^2\. \$ provision create kjh-SuperDuperUser --path \/service-user\/ --user kjh-SuperDuperUser$/m,
      new RegExp(/CreateVirtualMFADevice → arn:aws:iam::123456789012:mfa\/service-user\/kjh-SuperDuperUser /.source +
        /\(seed 64 base32 characters, QR PNG \d+ bytes\)/.source),
      new RegExp(/QR decodes to otpauth:\/\/totp\/Amazon%20Web%20Services:kjh-SuperDuperUser@123456789012/.source +
        /\?secret=…; its secret equals the seed/.source),
      /^3\. Burned into token FOB\d+ as 'Amazon Web Services:kjh-SuperDuperUser@123456789012'/m,
      /^4\. EnableMFADevice for kjh-SuperDuperUser with the token's codes of steps (\d+) and (\d+) → enabled$/m,
      /… 30 s later/,
      new RegExp(/^5\. .*\n   AccessDenied: /.source +
        /User: arn:aws:iam::123456789012:user\/service-user\/kjh-SuperDuperUser is not authorized to perform: /.source +
        /sts:AssumeRole on resource: arn:aws:iam::123456789012:role\/kjh-DuperRole$/.source, 'm'),
      new RegExp(/^   allowed with the token's code of step \d+: /.source +
        /arn:aws:sts::123456789012:assumed-role\/kjh-DuperRole\/my-cli-session$/.source, 'm'),
      /^7\. \$ token show\n   Amazon Web Services:kjh-SuperDuperUser@123456789012\s+\d{3} ?\d{3}/m,
    ];
    let at = 0;
    for (const s of steps) {
      const m = s.exec(out.slice(at));
      assert.ok(m, `missing or out of order: ${s}\n${out}`);
      at += m!.index + m![0].length;
    }
    assert.not.match(out, /[A-Z2-7]{32,}/, 'no seed printed');
    assert.equal(demos(), []);
    assert.equal(readdirSync(home.dir).filter((f) => f !== '.npm'), [],
      'nothing written under HOME (npm keeps its own logs)');
  } finally { home.done(); tmp.done(); }
});

test.run();
