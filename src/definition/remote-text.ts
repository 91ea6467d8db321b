/**
 * @module definition/remote-text
 * The body of a remote document fetched at validation time (an external functions/events file,
 * an OpenAPI document, a remote .proto, a GraphQL introspection answer), read with a size cap: a
 * body past `maxBytes` is refused while it arrives (the stream is cancelled, never buffered past
 * the limit) with an error naming the URL and the limit — as the outbound calls of components/
 * are (components/bounded-http).
 */

/** A response body larger than its cap. */
export class RemoteTooLarge extends Error {
  constructor(url: string, maxBytes: number) {
    super(`the response of ${url} is larger than ${maxBytes} bytes`);
    this.name = 'RemoteTooLarge';
  }
}

/** The body of `res` as UTF-8 text (a leading BOM dropped, as `Response.text()`), at most `maxBytes`. */
export async function cappedText(res: Response, url: string, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new RemoteTooLarge(url, maxBytes);
  }
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new RemoteTooLarge(url, maxBytes);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks, size));
}
