/**
 * Definition tests never reach the network: the validator fetches remote documents (external
 * files, a rest function's OpenAPI document), and the fixtures and spec examples name hosts such as
 * `myapis.org`. Importing this module makes `fetch` to any host but loopback fail at once, the way
 * undici fails for an unknown host (`TypeError: fetch failed`, cause ENOTFOUND), so results do not
 * depend on the machine's network and a DNS lookup never slows the suite. Loopback stays real, so a
 * test can serve documents from 127.0.0.1.
 */
const realFetch = globalThis.fetch;

/** The remote URLs the validator tried to fetch (in order). */
export const blockedFetches: string[] = [];

globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return realFetch(input, init);
  blockedFetches.push(url.href);
  const cause = Object.assign(new Error(`getaddrinfo ENOTFOUND ${url.hostname}`), { code: 'ENOTFOUND', hostname: url.hostname });
  throw new TypeError('fetch failed', { cause });
};
