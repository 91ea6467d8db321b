/**
 * @module components/rest/auth
 * HTTP credentials of rest functions (spec §Auth Definition), already resolved to plain values by
 * the caller: basic and bearer become an Authorization header; oauth2 obtains an access token from
 * the token endpoint (client credentials or password grant, RFC 6749 §4.4 / §4.3) with undici and
 * caches it until shortly before it expires.
 */
import { InfrastructureError, WorkflowError } from '../../errors.js';
import { boundedHttp } from '../bounded-http-on-use.js';


/** Resolved credentials (values, not expressions). */
export type HttpAuth =
  | { scheme: 'basic'; username: string; password: string }
  | { scheme: 'bearer'; token: string }
  | {
      scheme: 'oauth2';
      /** Where tokens are requested (POST, form-encoded). */
      tokenEndpoint: string;
      grantType: 'clientCredentials' | 'password';
      clientId: string;
      clientSecret?: string;
      scopes?: string[];
      audiences?: string[];
      username?: string;
      password?: string;
    };

/** A token is renewed this long before the expiry the endpoint announced. */
const EXPIRY_MARGIN_MS = 30_000;
/** Lifetime assumed when the token response has no `expires_in`. */
const DEFAULT_LIFETIME_MS = 300_000;

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Builds Authorization headers; one instance caches oauth2 tokens for every call it serves. */
export class AuthorizationProvider {
  private readonly tokens = new Map<string, Promise<CachedToken>>();

  /** The Authorization header value for `auth`. */
  async header(auth: HttpAuth, signal?: AbortSignal): Promise<string> {
    switch (auth.scheme) {
      case 'basic':
        return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      case 'bearer':
        return `Bearer ${auth.token}`;
      case 'oauth2':
        return `Bearer ${(await this.token(auth, signal)).token}`;
      default: {
        const never: never = auth;
        throw new WorkflowError('UNSUPPORTED_AUTH', `unknown auth scheme in ${JSON.stringify(never)}`, { nonRetryable: true });
      }
    }
  }

  private async token(auth: Extract<HttpAuth, { scheme: 'oauth2' }>, signal?: AbortSignal): Promise<CachedToken> {
    const key = JSON.stringify([auth.tokenEndpoint, auth.grantType, auth.clientId, auth.username ?? '', auth.scopes ?? [], auth.audiences ?? []]);
    const cached = this.tokens.get(key);
    if (cached) {
      const t = await cached.catch(() => undefined);
      if (t && t.expiresAt > Date.now()) return t;
      // Expired or failed: the first caller to notice replaces it (concurrent callers share it).
      if (this.tokens.get(key) === cached) this.tokens.delete(key);
      else return this.token(auth, signal);
    }
    const p = fetchToken(auth, signal);
    this.tokens.set(key, p);
    p.catch(() => {
      if (this.tokens.get(key) === p) this.tokens.delete(key);
    });
    return p;
  }
}

async function fetchToken(auth: Extract<HttpAuth, { scheme: 'oauth2' }>, signal?: AbortSignal): Promise<CachedToken> {
  const form = new URLSearchParams();
  form.set('grant_type', auth.grantType === 'password' ? 'password' : 'client_credentials');
  if (auth.grantType === 'password') {
    form.set('username', auth.username ?? '');
    form.set('password', auth.password ?? '');
  }
  if (auth.scopes?.length) form.set('scope', auth.scopes.join(' '));
  for (const a of auth.audiences ?? []) form.append('audience', a);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (auth.clientSecret !== undefined) {
    // RFC 6749 §2.3.1: client_secret_basic (form-urlencoded id and secret).
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(auth.clientId)}:${encodeURIComponent(auth.clientSecret)}`).toString('base64')}`;
  } else {
    form.set('client_id', auth.clientId);
  }
  const started = Date.now();
  const http = await boundedHttp('oauth2 credentials (authRef)');
  let res;
  try {
    res = await http.boundedRequest(auth.tokenEndpoint, { method: 'POST', headers, body: form.toString(), signal });
  } catch (err) {
    throw new InfrastructureError('OAUTH2_UNREACHABLE', `oauth2 token endpoint ${auth.tokenEndpoint}: ${(err as Error).message}`, { cause: err });
  }
  const text = await http.boundedText(res, `oauth2 token endpoint POST ${auth.tokenEndpoint}`);
  if (res.statusCode >= 400) {
    // A refused client is a configuration error (not retryable); a failing endpoint may recover.
    const code = res.statusCode >= 500 ? String(res.statusCode) : 'OAUTH2_DENIED';
    throw new WorkflowError(code, `oauth2 token endpoint ${auth.tokenEndpoint} returned HTTP ${res.statusCode}: ${text.slice(0, 200)}`, { nonRetryable: res.statusCode < 500 });
  }
  let body: { access_token?: unknown; expires_in?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new WorkflowError('OAUTH2_INVALID_RESPONSE', `oauth2 token endpoint ${auth.tokenEndpoint} did not return JSON`, { nonRetryable: true });
  }
  if (typeof body.access_token !== 'string') {
    throw new WorkflowError('OAUTH2_INVALID_RESPONSE', `oauth2 token endpoint ${auth.tokenEndpoint} returned no access_token`, { nonRetryable: true });
  }
  const lifetime = typeof body.expires_in === 'number' ? body.expires_in * 1000 : DEFAULT_LIFETIME_MS;
  return { token: body.access_token, expiresAt: started + Math.max(0, lifetime - EXPIRY_MARGIN_MS) };
}
