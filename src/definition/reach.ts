/**
 * @module definition/reach
 * What a definition may reach (specs/security.md "What a definition may reach"): the files and
 * URLs that its references (`constants`, external `functions`/`events`/`retries`/`errors`/`auth`,
 * `dataInputSchema` and its `$ref`s, OpenAPI documents and their `$ref`s) may point at. A server
 * applies a policy to definitions registered over HTTP: files only under a configured root, URLs
 * only with an allowed prefix, nothing by default. The check runs before anything is read or
 * fetched, so a refused reference never costs a request.
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The files and URLs references may point at. */
export interface ReachPolicy {
  /** Absolute folder under which file references may point; undefined: no file at all. */
  fileRoot?: string;
  /** Prefixes (compared as written, case-sensitively after the scheme) that http(s) URLs must start with. */
  urlPrefixes: readonly string[];
}

/** Why `target` is outside the policy (a sentence for the diagnostic), or undefined when it is allowed. */
export function reachProblem(policy: ReachPolicy, target: { kind: 'file'; path: string } | { kind: 'url'; url: string }): string | undefined {
  if (target.kind === 'url') {
    if (policy.urlPrefixes.some((p) => urlStartsWith(target.url, p))) return undefined;
    return policy.urlPrefixes.length === 0
      ? 'this server allows no URL in definitions registered over the API (--allow-url-prefix)'
      : `the URL does not start with an allowed prefix (${policy.urlPrefixes.join(', ')})`;
  }
  if (policy.fileRoot === undefined) return 'this server allows no file in definitions registered over the API (--definition-root)';
  return insideRoot(policy.fileRoot, target.path) ? undefined : 'the file is outside the definition root of this server';
}

/**
 * Why the policy refuses `url` — an http(s) URL, a `file:` URL or an absolute path (how `$ref`
 * resolvers and the run-time OpenAPI loader name what they read) — or undefined when it is allowed.
 */
export function urlRefusal(policy: ReachPolicy, url: string): string | undefined {
  if (/^https?:/i.test(url)) return reachProblem(policy, { kind: 'url', url });
  try {
    return reachProblem(policy, { kind: 'file', path: /^file:/i.test(url) ? fileURLToPath(url) : url });
  } catch {
    return 'not a file or http(s) URL';
  }
}

/**
 * A URL matches a prefix when both parse, have the same origin (scheme, host, port — so
 * `https://api.example.com.evil` never matches `https://api.example.com`) and the URL's
 * normalised text starts with the prefix's (`HTTPS://API.example.com/v1` matches `https://api.example.com/v1`).
 */
function urlStartsWith(url: string, prefix: string): boolean {
  let u: URL;
  let p: URL;
  try {
    u = new URL(url);
    p = new URL(prefix);
  } catch {
    return false;
  }
  return u.origin === p.origin && u.href.startsWith(p.href);
}

/**
 * Whether `path` is inside `root` once symbolic links are resolved (a link under the root to a
 * file outside it is outside). A path that does not exist is judged by its nearest existing parent.
 */
function insideRoot(root: string, path: string): boolean {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      const parent = resolve(p, '..');
      return parent === p ? p : resolve(real(parent), relative(parent, p));
    }
  };
  const r = real(resolve(root));
  const rel = relative(r, real(resolve(path)));
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}
