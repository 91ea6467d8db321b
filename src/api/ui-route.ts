/**
 * @module api/ui-route
 * The dashboard's static files at `/ui` (specs/dashboard.md). The files are the ones the build
 * wrote to `dist/ui/` (scripts/build-ui.mjs); the set is read once, and only a path that names one
 * of them is served — no path is ever joined onto the file system, so there is nothing to traverse.
 * The page holds no secret and is served without the API token; the API calls it makes carry it.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorBody } from './http-error.js';

/** Content types of what the build writes (anything else is not served). */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

/**
 * Same origin only, no inline script, no framing; `style-src 'unsafe-inline'` because the
 * diagrams are inline SVG with their own <style>.
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** Where the built files are: beside the compiled module (dist/api → dist/ui), or dist/ui when run from src/. */
export function defaultUiDir(): string | undefined {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const dir of [join(here, '..', 'ui'), join(here, '..', '..', 'dist', 'ui')]) {
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return undefined;
}

/** Largest total of files read (the build writes well under 1 MiB). */
const MAX_UI_BYTES = 16 * 1024 * 1024;

function readAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  let total = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (TYPES[extname(name)] && st.isFile()) {
        total += st.size;
        if (total > MAX_UI_BYTES) throw new Error(`the dashboard folder ${dir} holds more than ${MAX_UI_BYTES} bytes`);
        const body = readFileSync(p);
        assets.set(relative(dir, p).split(sep).join('/'), { body, type: TYPES[extname(name)]!, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"` });
      }
    }
  };
  walk(dir);
  return assets;
}

/** The `/ui` handler (and the `GET /` redirect to it): undefined when `pathname` is neither. */
export type UiHandler = (req: Request, pathname: string) => Response | undefined;

/** Builds the handler over the built folder (`dir`, default {@link defaultUiDir}). */
export function createUiHandler(dir: string | undefined = defaultUiDir()): UiHandler {
  let assets: Map<string, Asset> | undefined;
  return (req, pathname) => {
    // `GET /` was a 404: a person who opens the server's address lands on the dashboard.
    if (pathname === '/' && (req.method === 'GET' || req.method === 'HEAD')) return new Response(null, { status: 302, headers: { location: '/ui/' } });
    if (pathname !== '/ui' && !pathname.startsWith('/ui/')) return undefined;
    if (pathname === '/ui') return new Response(null, { status: 308, headers: { location: '/ui/' } });
    if (req.method !== 'GET' && req.method !== 'HEAD') return errorBody(405, 'ERR_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${pathname} (allowed: GET, HEAD)`);
    if (dir === undefined || (assets === undefined && !existsSync(join(dir, 'index.html')))) return errorBody(404, 'ERR_UI_NOT_BUILT', 'the dashboard is not built: run npm run build (it writes dist/ui/)');
    assets ??= readAssets(dir);
    let name: string;
    try {
      name = decodeURIComponent(pathname.slice('/ui/'.length));
    } catch {
      return errorBody(400, 'ERR_MALFORMED_REQUEST', 'the path is not valid percent-encoding');
    }
    if (name === '') name = 'index.html';
    const asset = assets.get(name);
    if (!asset) return errorBody(404, 'ERR_NOT_FOUND', `no dashboard file ${pathname.slice(0, 200)}`);
    // no-cache: always revalidated (the ETag makes that a 304), so an upgrade shows at once.
    const headers = { 'content-type': asset.type, etag: asset.etag, 'cache-control': 'no-cache', ...SECURITY_HEADERS };
    if (req.headers.get('if-none-match') === asset.etag) return new Response(null, { status: 304, headers });
    return new Response(req.method === 'HEAD' ? null : new Uint8Array(asset.body), { status: 200, headers: { ...headers, 'content-length': String(asset.body.length) } });
  };
}
