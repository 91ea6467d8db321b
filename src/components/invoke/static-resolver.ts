/**
 * @module components/invoke/static-resolver
 * `nameresolution.static` (a Swirl component type; Dapr's resolvers — mDNS, Kubernetes, Consul —
 * need infrastructure Swirl does not assume): every `spec.metadata` entry maps an app id (the
 * entry's name) to the base URL of that app (its value). Several such components merge; the
 * `appIds` option of loadComponents adds to (and overrides) them.
 */
import type { ComponentMetadata } from '../metadata.js';
import type { NameResolver } from '../types.js';

/** Builds the app id → base URL map of one component, checking each URL. */
export function readStaticAppIds(md: ComponentMetadata): Map<string, string> {
  const out = new Map<string, string>();
  for (const [appId, url] of md.entries()) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw md.error(appId, `app id '${appId}' needs a base URL like 'http://127.0.0.1:3000', found '${url}'`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw md.error(appId, `app id '${appId}': only http(s) URLs are supported, found '${url}'`);
    out.set(appId, url);
  }
  return out;
}

/** A resolver over a fixed map. */
export function staticResolver(map: ReadonlyMap<string, string>): NameResolver {
  return { resolve: (appId) => map.get(appId) };
}
