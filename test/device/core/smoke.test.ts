import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hotp } from '../../../device/core/index.js';

test('RFC 4226 Appendix D, counter 0', () => {
  assert.is(hotp(new TextEncoder().encode('12345678901234567890'), 0), '755224');
});
test.run();
