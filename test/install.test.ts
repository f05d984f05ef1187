// The package as users install it: `npm pack`, then `npm install -g` of that tarball into a private
// prefix. The install prints no warning (no install script of ours for npm to flag), and both bins
// answer from the prefix. Dependencies come from npm's cache when they are there (--prefer-offline).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, has, oracle, run, tempDir } from './helpers.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as
  { name: string; version: string; scripts: Record<string, string> };
const warnings = (s: string) => s.split('\n').filter((l) => /\bwarn|WARN|deprecat/i.test(l));

test('npm pack, then npm install -g of the tarball: no warning, and both bins answer', async () => {
  if (!oracle('npm', has('npm'))) return;
  const t = tempDir('fob-install-');
  try {
    // dist/ is built already (test/run.mjs builds first): pack it as it is, without prepack's rebuild.
    const env = {
      ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false',
    };
    const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', t.dir],
      { cwd: ROOT, env, timeoutMs: 120_000 });
    assert.is(packed.code, 0, packed.stderr);
    assert.equal(warnings(packed.stderr), [], packed.stderr);
    const tgz = readdirSync(t.dir).find((f) => f.endsWith('.tgz'));
    assert.is(tgz, `${pkg.name}-${pkg.version}.tgz`);

    const prefix = join(t.dir, 'prefix');
    const inst = await run('npm', ['install', '-g', '--prefer-offline', '--prefix', prefix, join(t.dir, tgz!)], {
      cwd: t.dir,
      env: { ...env, npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME ?? t.dir, '.npm') },
      timeoutMs: 300_000,
    });
    assert.is(inst.code, 0, inst.stderr);
    assert.is(inst.stderr, '', 'the global install says nothing on stderr');

    // What the tarball carries: dist/ ready to run, and no lifecycle script npm would flag or run.
    const installed = join(prefix, 'lib', 'node_modules', pkg.name);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as
      { scripts?: Record<string, string> };
    for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) {
      assert.not.ok(manifest.scripts?.[s], `the package has a ${s} script`);
    }
    assert.ok(readdirSync(join(installed, 'dist', 'provision', 'chunks')).length > 0,
      'the provision bundle\'s chunks are packed');

    const bin = (b: string) => join(prefix, 'bin', b);
    const home = join(t.dir, 'home');
    const benv = { PATH: process.env.PATH, HOME: home, NO_COLOR: '1' };
    const tv = await run(bin('token'), ['--version'], { env: benv });
    assert.equal([tv.code, tv.stdout, tv.stderr], [0, `${pkg.version}\n`, '']);
    const ph = await run(bin('provision'), ['--help'], { env: benv });
    assert.is(ph.code, 0, ph.stderr);
    assert.match(ph.stdout, /^Usage: provision /);
    // The installed provision runs a whole create offline, from its own prefix (chunks, SDK, QR check).
    const made = await run(bin('provision'),
      ['--local', 'create', 'kjh-SuperDuperUser', '--path', '/service-user/', '--user', 'kjh-SuperDuperUser'],
      { env: benv });
    assert.is(made.code, 0, made.stderr);
    assert.match(made.stdout,
      /^arn:aws:iam::123456789012:mfa\/service-user\/kjh-SuperDuperUser {2}.* enabled for kjh-SuperDuperUser\n$/);
    assert.match(made.stderr, /^provision: created token FOB\d{8} at .*token\.dev \(there was none\)\n$/);
  } finally { t.done(); }
});

test('package.json: the build runs at pack time and in a checkout, never as an install script of the package', () => {
  assert.ok(pkg.scripts.prepack, 'prepack builds, so a tarball carries dist/');
  assert.ok(pkg.scripts.dependencies, 'npm install / npm ci in a checkout build dist/ (npm start needs it)');
  for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) assert.not.ok(pkg.scripts[s], s);
  // esbuild's own postinstall is approved, pinned to the version the lockfile holds.
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as
    { packages: Record<string, { version: string; resolved?: string }> };
  const esb = lock.packages['node_modules/esbuild']!;
  assert.equal((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as
    { allowScripts: Record<string, boolean> }).allowScripts, { [`esbuild@${esb.version}`]: true });
  assert.ok(esb.resolved, 'a pinned approval matches only a lockfile entry with its resolved URL');
  assert.match(readFileSync(join(ROOT, '.npmrc'), 'utf8'), /^omit-lockfile-registry-resolved=false$/m);
});

test.run();
