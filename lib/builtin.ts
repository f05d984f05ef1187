// Node builtins on first use. Each costs part of a start (node:crypto ~3 ms, node:os ~1 ms), and
// `token show` or a cached `provision session` must start about as fast as bare node.
import { createRequire } from 'node:module';

/** A builtin module, loaded when first asked for. */
export function builtin<T>(id: `node:${string}`): T {
  // process.getBuiltinModule is Node ≥ 20.16; older Node 20 requires it (a builtin resolves from anywhere).
  return (process.getBuiltinModule?.(id) ?? createRequire('/')(id)) as T;
}

type Crypto = typeof import('node:crypto');
let crypto: Crypto | undefined;

export const nodeCrypto = (): Crypto => (crypto ??= builtin<Crypto>('node:crypto'));
