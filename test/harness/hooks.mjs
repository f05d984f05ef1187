// Module resolution hook: 'uvu' means the harness's wrapper, except for the wrapper itself.
const WRAPPER = new URL('./uvu.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'uvu' && context.parentURL !== WRAPPER) return { url: WRAPPER, shortCircuit: true };
  return next(specifier, context);
}
