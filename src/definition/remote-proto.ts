/**
 * @module definition/remote-proto
 * A remote .proto file (http(s) URL) with the files it imports, fetched for validation into a
 * private folder (proto-loader reads from disk). Imports resolve against the main file's folder, as
 * the runtime caller resolves them (components/rpc/proto.ts); `google/protobuf/*` are protobuf.js's
 * built-in copies. Bounded as at run time: 64 files of 1 MiB, 10 s per fetch. Every URL fetched
 * goes through the server's reach policy first, so a refused import costs no request.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import { REMOTE_TIMEOUT_MS } from './external.js';
import { cappedText, RemoteTooLarge } from './remote-text.js';
import type { ReachPolicy } from './reach.js';
import { urlRefusal } from './reach.js';

const MAX_REMOTE_FILES = 64;
const MAX_FILE_BYTES = 1024 * 1024;

/**
 * Why a remote proto tree could not be mirrored: `unreachable` — a fetch failed (network, HTTP
 * error, timeout; the call checks it again); `invalid` — the tree itself is wrong (an import outside
 * the folder, too many or too large files); `refused` — the reach policy refuses a URL.
 */
export type MirrorOutcome = { ok: true; main: string } | { ok: false; kind: 'unreachable' | 'invalid' | 'refused'; reason: string };

/** The imports a .proto file names (`import "x.proto";`, `import public …`, `import weak …`). */
function importsOf(text: string): string[] {
  const out: string[] = [];
  const re = /^\s*import\s+(?:public\s+|weak\s+)?["']([^"']+)["']\s*;/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1]!);
  return out;
}

/** Copies the proto at `url` and everything it imports into `dir`; the main file's path there. */
export async function mirrorRemoteProto(url: URL, dir: string, reach: ReachPolicy | undefined): Promise<MirrorOutcome> {
  const root = new URL('.', url);
  const main = url.href.slice(root.href.length);
  const seen = new Set<string>();
  const queue = [main];
  while (queue.length > 0) {
    const rel = normalize(queue.shift()!);
    if (seen.has(rel) || rel.startsWith('google/protobuf/')) continue;
    if (rel.startsWith('..') || rel.startsWith('/')) return { ok: false, kind: 'invalid', reason: `it imports '${rel}', outside its folder` };
    seen.add(rel);
    if (seen.size > MAX_REMOTE_FILES) return { ok: false, kind: 'invalid', reason: `it imports more than ${MAX_REMOTE_FILES} files` };
    const at = new URL(rel, root);
    const refused = reach ? urlRefusal(reach, at.href) : undefined;
    if (refused !== undefined) return { ok: false, kind: 'refused', reason: `'${at.href}': ${refused}` };
    let text: string;
    try {
      const res = await fetch(at, { signal: AbortSignal.timeout(REMOTE_TIMEOUT_MS), redirect: 'error' });
      if (!res.ok) {
        await res.body?.cancel();
        return { ok: false, kind: 'unreachable', reason: `fetching '${at.href}' failed with HTTP ${res.status}` };
      }
      text = await cappedText(res, at.href, MAX_FILE_BYTES);
    } catch (err) {
      if (err instanceof RemoteTooLarge) return { ok: false, kind: 'invalid', reason: `'${at.href}' is larger than ${MAX_FILE_BYTES} bytes` };
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return { ok: false, kind: 'unreachable', reason: `cannot fetch '${at.href}': ${cause?.code ?? cause?.message ?? (err as Error).message}` };
    }
    if (text.length > MAX_FILE_BYTES) return { ok: false, kind: 'invalid', reason: `'${at.href}' is larger than ${MAX_FILE_BYTES} bytes` };
    const target = join(dir, rel);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, text);
    queue.push(...importsOf(text));
  }
  return { ok: true, main: join(dir, main) };
}
