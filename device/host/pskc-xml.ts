// A PSKC file read into a small element tree with saxes: strict, namespace-aware, and it never
// expands an entity. Bounded in bytes, depth, elements, attributes and text, so any input costs
// at most a few passes over 16 MiB.
import { SaxesParser } from 'saxes';
import { PskcError } from './errors.js';

export interface XmlElement {
  /** Namespace URI ('' for none) and local name. */
  ns: string;
  name: string;
  /** Unqualified and qualified attributes by local name, in document order. */
  attrs: [string, string][];
  children: XmlElement[];
  text: string;
}

export const PSKC_LIMITS = {
  /** A 10,000-token vendor batch in plain PSKC is about 7 MB. */
  bytes: 16 * 1024 * 1024,
  keyPackages: 10_000,
  depth: 32,
  elements: 400_000,
  attributes: 64,
  /** Per element: the longest real value is a base64 CipherValue of a few hundred bytes. */
  text: 64 * 1024,
} as const;

export const DOCTYPE_REFUSED =
  'PSKC files carry no DOCTYPE; this one does (refused: entity expansion and external entities are attacks)';

const limit = (what: string): never => {
  throw new PskcError('E_PSKC_LIMIT', `the PSKC file is too large to be a seed file: ${what}`);
};

/** UTF-8 (with or without BOM) or UTF-16 with a BOM, as XML 1.0 §4.3.3 allows without a declaration. */
function decode(input: string | Uint8Array): string {
  const bytes = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (bytes > PSKC_LIMITS.bytes) limit(`${bytes} bytes (at most ${PSKC_LIMITS.bytes})`);
  if (typeof input === 'string') return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const b = input;
  const enc = b[0] === 0xff && b[1] === 0xfe ? 'utf-16le' : b[0] === 0xfe && b[1] === 0xff ? 'utf-16be' : 'utf-8';
  try {
    return new TextDecoder(enc, { fatal: true, ignoreBOM: false }).decode(b);
  } catch {
    throw new PskcError('E_PSKC_XML', `the PSKC file is not valid ${enc.toUpperCase()} text ` +
      '(save it as UTF-8, e.g. iconv -f LATIN1 -t UTF-8)');
  }
}

/** The root element, or a PskcError: E_PSKC_DOCTYPE, E_PSKC_LIMIT or E_PSKC_XML (with line and column). */
export function readXml(input: string | Uint8Array): XmlElement {
  const text = decode(input);
  const p = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let elements = 0, packages = 0;
  p.on('doctype', () => { throw new PskcError('E_PSKC_DOCTYPE', DOCTYPE_REFUSED); });
  p.on('opentag', (t) => {
    if (stack.length >= PSKC_LIMITS.depth) limit(`elements nested deeper than ${PSKC_LIMITS.depth}`);
    if (++elements > PSKC_LIMITS.elements) limit(`more than ${PSKC_LIMITS.elements} elements`);
    const attrs: [string, string][] = [];
    for (const a of Object.values(t.attributes)) {
      if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
      if (attrs.length >= PSKC_LIMITS.attributes) {
        limit(`an element with more than ${PSKC_LIMITS.attributes} attributes`);
      }
      if (a.value.length > PSKC_LIMITS.text) limit(`an attribute longer than ${PSKC_LIMITS.text} characters`);
      attrs.push([a.local, a.value]);
    }
    const el: XmlElement = { ns: t.uri ?? '', name: t.local ?? t.name, attrs, children: [], text: '' };
    const parent = stack.at(-1);
    // PSKC has no mixed content: the indentation between a parent's children is not its text.
    if (parent) { parent.children.push(el); parent.text = ''; }
    else root = el;
    if (stack.length === 1 && el.name === 'KeyPackage' && ++packages > PSKC_LIMITS.keyPackages) {
      limit(`more than ${PSKC_LIMITS.keyPackages} KeyPackages (split the batch)`);
    }
    stack.push(el);
  });
  p.on('closetag', () => { stack.pop(); });
  const onText = (s: string) => {
    const el = stack.at(-1);
    if (!el || el.children.length) return;
    if (el.text.length + s.length > PSKC_LIMITS.text) {
      limit(`an element holding more than ${PSKC_LIMITS.text} characters`);
    }
    el.text += s;
  };
  p.on('text', onText);
  p.on('cdata', onText);
  try {
    p.write(text).close();
  } catch (e) {
    if (e instanceof PskcError) throw e;
    // saxes prefixes line:column; its messages quote names, never text content.
    const why = e instanceof Error ? e.message.split('\n')[0]!.slice(0, 160) : 'unreadable';
    throw new PskcError('E_PSKC_XML', `the PSKC file is not well-formed XML: ${why}`);
  }
  if (!root) throw new PskcError('E_PSKC_XML', 'the PSKC file holds no XML element');
  return root;
}

export const attr = (el: XmlElement, name: string): string | undefined => el.attrs.find(([k]) => k === name)?.[1];
export const child = (el: XmlElement | undefined, name: string): XmlElement | undefined =>
  el?.children.find((c) => c.name === name);
export const childrenNamed = (el: XmlElement | undefined, name: string): XmlElement[] =>
  el ? el.children.filter((c) => c.name === name) : [];
/** An element's text, trimmed; undefined when the element is absent. */
export const textOf = (el: XmlElement | undefined, name: string): string | undefined => child(el, name)?.text.trim();
