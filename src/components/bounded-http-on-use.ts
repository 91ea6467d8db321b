/**
 * @module components/bounded-http-on-use
 * components/bounded-http (and with it undici), loaded with the first outbound call of a feature
 * that needs it, once per process (issue 12: not at start-up; a dynamic `import()` per call costs
 * the module loader's work every time). A failed load is retried by the next call.
 */
import { loadOnUse } from '../optional-module.js';

let loaded: Promise<typeof import('./bounded-http.js')> | undefined;

/** The bounded HTTP calls; `feature` names what needs them in the error when undici cannot load. */
export function boundedHttp(feature: string): Promise<typeof import('./bounded-http.js')> {
  if (loaded === undefined) {
    loaded = loadOnUse(() => import('./bounded-http.js'), 'undici', feature);
    loaded.catch(() => (loaded = undefined));
  }
  return loaded;
}
