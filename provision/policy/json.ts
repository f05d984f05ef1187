// JSON for the policy linter: JSON.parse loses what a linter must say, so this parser keeps each
// value's offset (findings cite line:column), keeps objects as Maps (a policy's keys never meet
// Object.prototype), and records duplicate keys, which JSON.parse resolves silently to the last one.
// It is iterative over characters and recursive only over nesting, which is capped.

export type JNode = { at: number } & (
  | { k: 'str'; v: string }
  | { k: 'num'; v: string }
  | { k: 'bool'; v: boolean }
  | { k: 'null' }
  | { k: 'arr'; v: JNode[] }
  | { k: 'obj'; v: Map<string, JNode>; dups: { key: string; at: number }[] });

export class JsonError extends Error {
  constructor(message: string, readonly at: number) { super(message); this.name = 'JsonError'; }
}

/** Deeper than any policy needs; keeps recursion far from the stack's limit. */
export const MAX_DEPTH = 32;

const WS = new Set([' ', '\t', '\n', '\r']);
const ESC = new Map([['"', '"'], ['\\', '\\'], ['/', '/'], ['b', '\b'], ['f', '\f'], ['n', '\n'], ['r', '\r'],
  ['t', '\t']]);
const NUM = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parseJson(text: string): JNode {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const ws = () => { while (i < text.length && WS.has(text[i]!)) i++; };
  const fail = (what: string, at = i): never => {
    const c = text[at];
    throw new JsonError(c === undefined ? `${what}, found the end of the file` :
      `${what}, found ${JSON.stringify(c)}`, at);
  };

  function str(): string {
    const start = i++;
    let out = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new JsonError('unterminated string', start);
      if (c === '"') { i++; return out; }
      if (c < ' ') fail('control character in a string (escape it)');
      if (c !== '\\') { out += c; i++; continue; }
      const e = text[i + 1] ?? '';
      const simple = ESC.get(e);
      if (simple !== undefined) { out += simple; i += 2; continue; }
      if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16)); i += 6; continue;
      }
      fail('bad escape in a string', i + 1);
    }
  }

  function value(depth: number): JNode {
    ws();
    const at = i, c = text[i];
    if (depth > MAX_DEPTH) throw new JsonError(`nested deeper than ${MAX_DEPTH} levels`, at);
    if (c === '"') return { at, k: 'str', v: str() };
    if (c === '{') {
      i++;
      const v = new Map<string, JNode>(), dups: { key: string; at: number }[] = [];
      ws();
      if (text[i] === '}') { i++; return { at, k: 'obj', v, dups }; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a "quoted" key');
        const kat = i, key = str();
        ws();
        if (text[i] !== ':') fail(`expected ':' after the key ${JSON.stringify(key)}`);
        i++;
        const val = value(depth + 1);
        if (v.has(key)) dups.push({ key, at: kat });
        v.set(key, val);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return { at, k: 'obj', v, dups }; }
        fail("expected ',' or '}' (a missing comma, or a trailing one?)");
      }
    }
    if (c === '[') {
      i++;
      const v: JNode[] = [];
      ws();
      if (text[i] === ']') { i++; return { at, k: 'arr', v }; }
      for (;;) {
        v.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return { at, k: 'arr', v }; }
        fail("expected ',' or ']'");
      }
    }
    for (const [word, node] of [['true', { k: 'bool', v: true }], ['false', { k: 'bool', v: false }],
      ['null', { k: 'null' }]] as const) {
      if (text.startsWith(word, i)) { i += word.length; return { at, ...node } as JNode; }
    }
    NUM.lastIndex = i;
    const m = NUM.exec(text);
    if (m && m[0] !== '-') { i += m[0].length; return { at, k: 'num', v: m[0] }; }
    return fail('expected a value (a string, number, object, array, true, false or null)');
  }

  const root = value(0);
  ws();
  if (i < text.length) fail('unexpected text after the JSON value');
  return root;
}

/** 1-based line and column of an offset: a lookup built once per text, then a binary search per offset. */
export function lineCol(text: string): (at: number) => { line: number; col: number } {
  const starts = [0];
  for (let j = text.indexOf('\n'); j >= 0; j = text.indexOf('\n', j + 1)) starts.push(j + 1);
  return (at) => {
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (starts[mid]! <= at) lo = mid; else hi = mid - 1; }
    return { line: lo + 1, col: at - starts[lo]! + 1 };
  };
}
