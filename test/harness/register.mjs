// Preloaded by test/run.mjs (`node --import tsx --import ./test/harness/register.mjs suite.test.ts`):
// every `import … from 'uvu'` in a suite then gets test/harness/uvu.mjs, which reports a throwing
// hook and counts oracle skips. Run a suite by hand the same way to see the same report.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
