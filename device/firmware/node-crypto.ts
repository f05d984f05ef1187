// node:crypto on first use: loading it costs ~3 ms of every start, and `token show` on a token
// without an access code needs none of it (issue 4: start about as fast as bare node).
import { createRequire } from 'node:module';

type Crypto = typeof import('node:crypto');
let loaded: Crypto | undefined;

export function nodeCrypto(): Crypto {
  // process.getBuiltinModule is Node ≥ 20.16; older Node 20 requires it (a builtin resolves from anywhere).
  return (loaded ??= process.getBuiltinModule?.('node:crypto') ?? (createRequire('/')('node:crypto') as Crypto));
}
