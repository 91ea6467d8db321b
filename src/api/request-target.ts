/**
 * @module api/request-target
 * The path and query of a request as the hot routes read them, without a WHATWG `URL` per request
 * (two `URL` parses per exchange were ~5 % of the server's CPU of a workflow over HTTP:
 * bench/README.md "Declarative over HTTP"). Only a target whose `URL` parse is the identity is
 * taken apart here — an origin-form path and query of characters `URL` keeps as they are, no dot
 * segment — so `pathname` and `searchParams` are what `new URL(origin + target)` would give;
 * anything else is parsed by `URL` as before.
 */

/** What a hot route reads of its request URL: a `URL` satisfies it. */
export interface RequestTarget {
  readonly pathname: string;
  readonly searchParams: URLSearchParams;
}

/**
 * Path and query characters that `URL` neither encodes nor rewrites for an http(s) URL: no space,
 * quote, `<>`, backtick, braces, backslash, `#`, control or non-ASCII character. (`'` is
 * percent-encoded in a special URL's query, which `searchParams` decodes back: the same values.)
 */
const SIMPLE_TARGET = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*)?$/;

/** A `.` or `..` segment (also percent-encoded), which `URL` resolves away. */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

/** A simple target; its query is parsed when a route first reads it. */
class SimpleTarget implements RequestTarget {
  private params: URLSearchParams | undefined;

  constructor(
    readonly pathname: string,
    private readonly query: string,
  ) {}

  get searchParams(): URLSearchParams {
    return (this.params ??= new URLSearchParams(this.query));
  }
}

/** The target's path and query when `URL` would leave it as it is, else undefined (parse it with `URL`). */
export function simpleTarget(target: string): RequestTarget | undefined {
  if (!SIMPLE_TARGET.test(target)) return undefined;
  const q = target.indexOf('?');
  const pathname = q < 0 ? target : target.slice(0, q);
  if (DOT_SEGMENT.test(pathname)) return undefined;
  return new SimpleTarget(pathname, q < 0 ? '' : target.slice(q + 1));
}
