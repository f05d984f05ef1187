// APDU framing and TLVs: short and extended lengths, and the one-byte property tag.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCommand, parseTlvs, SW } from '../../../device/firmware/index.js';
import { h, x } from './util.js';

const S = suite('APDU and TLV');
const sw = (f: () => unknown) => { try { f(); } catch (e) { return (e as { sw: number }).sw; } return null; };

S('case 1 and ykman\'s 5-byte form carry no data', () => {
  assert.is(parseCommand(h('00 A1 00 00')).data.length, 0);
  assert.is(parseCommand(h('00 A1 00 00 00')).data.length, 0);
  assert.is(parseCommand(h('00 A1 00 00 FF')).data.length, 0, 'a lone Le');
});

S('short Lc, with and without Le', () => {
  assert.is(x(parseCommand(h('00 02 00 00 03 71 01 41')).data), '710141');
  assert.is(x(parseCommand(h('00 02 00 00 03 71 01 41 00')).data), '710141');
  assert.is(sw(() => parseCommand(h('00 02 00 00 04 71 01 41'))), SW.WRONG_LENGTH);
  assert.is(sw(() => parseCommand(h('00 02 00 00 01 71 01 41'))), SW.WRONG_LENGTH);
  assert.is(sw(() => parseCommand(h('00 02 00 00 03 71 01 41 00 00'))), SW.WRONG_LENGTH);
  assert.is(sw(() => parseCommand(h('00 02 00'))), SW.WRONG_LENGTH);
});

S('extended Lc, with and without Le', () => {
  assert.is(x(parseCommand(h('00 02 00 00 00 00 03 71 01 41')).data), '710141');
  assert.is(x(parseCommand(h('00 02 00 00 00 00 03 71 01 41 00 00')).data), '710141');
  assert.is(parseCommand(h('00 A1 00 00 00 01 00')).data.length, 0, 'extended Le alone');
  assert.is(sw(() => parseCommand(h('00 02 00 00 00 00 05 71 01 41'))), SW.WRONG_LENGTH);
  const big = new Uint8Array(7 + 5000); big[5] = 5000 >> 8; big[6] = 5000 & 0xff;
  assert.is(sw(() => parseCommand(big)), SW.WRONG_LENGTH, 'over 4096 bytes');
});

S('78 is a tag and one byte: read with a length, it would swallow the 7A that follows', () => {
  const data = h('71 01 41 78 02 7A 04 00 00 00 05');
  assert.equal(parseTlvs(data, [0x78]).map((t) => [t.tag, x(t.value)]),
    [[0x71, '41'], [0x78, '02'], [0x7a, '00000005']]);
  assert.equal(parseTlvs(h('71 01 41 78 02 7A 04')).map((t) => [t.tag, x(t.value)]), [[0x71, '41'], [0x78, '7A04']],
    'a length reader takes 7A 04 as the value');
  assert.is(sw(() => parseTlvs(data)), SW.WRONG_DATA, 'and then trips over the counter');
});

S('lengths 81 xx and 82 xx xx; overruns are 6A80', () => {
  const v = new Uint8Array(200).fill(7);
  assert.is(parseTlvs(Uint8Array.from([0x73, 0x81, 200, ...v]))[0]!.value.length, 200);
  assert.is(parseTlvs(Uint8Array.from([0x73, 0x82, 0, 200, ...v]))[0]!.value.length, 200);
  assert.is(sw(() => parseTlvs(h('71 05 41 42'))), SW.WRONG_DATA);
  assert.is(sw(() => parseTlvs(h('71 83 00 00 01 41'))), SW.WRONG_DATA);
  assert.is(sw(() => parseTlvs(h('71'))), SW.WRONG_DATA);
  assert.is(sw(() => parseTlvs(h('78'), [0x78])), SW.WRONG_DATA);
});

S.run();
