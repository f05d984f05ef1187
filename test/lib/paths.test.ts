// The XDG directories: one resolver for the token's, provision's and the endpoint's files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { homedir } from 'node:os';
import { homeDir, stateDir, xdgDir } from '../../lib/paths.js';

test('an absolute XDG_*_HOME wins; a relative one is ignored (as the XDG spec says)', () => {
  const env = {
    HOME: '/home/kjh', XDG_STATE_HOME: '/x/state', XDG_CACHE_HOME: 'rel/cache', XDG_CONFIG_HOME: '/x/config',
  };
  assert.is(xdgDir('state', env), '/x/state/totp-fob');
  assert.is(xdgDir('cache', env), '/home/kjh/.cache/totp-fob');
  assert.is(xdgDir('config', env), '/x/config/totp-fob');
});

test('without XDG_*_HOME, the defaults under $HOME (which is honoured, not the account\'s home)', () => {
  const env = { HOME: '/home/kjh' };
  assert.is(stateDir(env), '/home/kjh/.local/state/totp-fob');
  assert.is(xdgDir('cache', env), '/home/kjh/.cache/totp-fob');
  assert.is(xdgDir('config', env), '/home/kjh/.config/totp-fob');
});

test('without $HOME, the account\'s home directory', () => {
  assert.is(homeDir({}), homedir());
  assert.is(stateDir({}), `${homedir()}/.local/state/totp-fob`);
});

test.run();
