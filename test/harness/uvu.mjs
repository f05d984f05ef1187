// uvu as the suites import it under test/run.mjs, with two things uvu 0.5 gets wrong fixed:
// - A hook that throws is swallowed: uvu's runner returns from its `finally`, so a suite whose
//   before() failed prints `(0 / N)` and nothing else. Here the hook's error and stack are printed,
//   naming the suite, and the process exits non-zero.
// - A test that returns early because its oracle is missing (`if (!oracle(...)) return;`) counts as
//   passed. oracle() (test/helpers.ts) notes the skip on the running test; when that test ends
//   without an error this prints one `[skip] suite › test: why` line, which run.mjs moves from
//   passed to skipped.
import * as uvu from 'uvu';

const KEY = Symbol.for('totp-fob.harness');
/** Shared with test/helpers.ts: the running test, and the skips oracle() noted on it. */
const harness = (globalThis[KEY] ??= { current: null, hookFailures: 0 });

const label = (suite, test) => `${suite || '(default suite)'} › ${test}`;

function wrapTest(suite, name, handler) {
  return async (state) => {
    const cur = { suite, test: name, skips: [] };
    harness.current = cur;
    try {
      await handler(state);
    } finally {
      harness.current = null;
    }
    // Reached only when the test did not throw: a failed test stays a failure.
    if (cur.skips.length) process.stdout.write(`\n[skip] ${label(suite, name)}: ${cur.skips.join('; ')}\n`);
  };
}

function wrapHook(suite, kind, fn) {
  return async (state) => {
    try {
      await fn(state);
    } catch (e) {
      harness.hookFailures++;
      const err = e instanceof Error ? e : new Error(String(e));
      process.stdout.write(`\n  FAIL  ${suite || '(default suite)'} ${kind} hook threw: ${err.message}\n` +
        `${(err.stack ?? '').split('\n').slice(1).map((l) => `    ${l.trim()}`).join('\n')}\n`);
      throw e;
    }
  };
}

function wrap(t, suite) {
  const w = (name, handler) => t(name, wrapTest(suite, name, handler));
  w.only = (name, handler) => t.only(name, wrapTest(suite, name, handler));
  w.skip = (...a) => t.skip(...a);
  w.run = () => t.run();
  w.before = (fn) => t.before(wrapHook(suite, 'before', fn));
  w.before.each = (fn) => t.before.each(wrapHook(suite, 'before.each', fn));
  w.after = (fn) => t.after(wrapHook(suite, 'after', fn));
  w.after.each = (fn) => t.after.each(wrapHook(suite, 'after.each', fn));
  return w;
}

export const suite = (name = '', state = {}) => wrap(uvu.suite(name, state), name);
export const test = wrap(uvu.test, '');
export const exec = uvu.exec;

// uvu sets process.exitCode from test failures alone, after the hooks' errors were swallowed.
process.on('exit', () => {
  if (harness.hookFailures) {
    process.stdout.write(`\n[hook-failed] ${harness.hookFailures} hook(s) threw (printed above)\n`);
    process.exitCode = 1;
  }
});
