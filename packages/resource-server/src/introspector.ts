import { createHash } from 'node:crypto';
import { BoundedCache } from './bounded-cache.js';
import { invalidToken, unavailable } from './errors.js';
import type { IntrospectionOptions, ResourceServerOptions } from './options.js';
import { type Principal, principalFrom } from './principal.js';

const ACCESS_TOKEN_TYPES = ['bearer', 'dpop'];

/**
 * RFC 7662 introspection with this API's client credentials, for opaque tokens (and JWTs
 * while the revocation source is stale, by option). Active answers are cached, by a hash
 * of the token, for at most cacheTtl and never past the token's exp.
 */
export class Introspector {
  private readonly endpoint: string;
  private readonly cache: BoundedCache<Principal>;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly fetch: typeof fetch;

  constructor(
    private readonly settings: IntrospectionOptions,
    private readonly options: ResourceServerOptions,
  ) {
    this.endpoint = settings.endpoint ?? `${options.issuer}/oauth/introspect`;
    this.now = options.now ?? Date.now;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.ttlMs = (settings.cacheTtl ?? 10) * 1000;
    this.cache = new BoundedCache(settings.cacheSize ?? 1000, this.now);
  }

  async introspect(token: string): Promise<Principal> {
    const key = createHash('sha256').update(token).digest('base64url');
    const cached = this.cache.get(key);
    if (cached) return cached;
    const principal = this.accept(await this.ask(token));
    this.cache.set(key, principal, Math.min(this.now() + this.ttlMs, principal.expiresAt * 1000));
    return principal;
  }

  private async ask(token: string): Promise<Record<string, unknown>> {
    let response: Response;
    try {
      response = await this.fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          authorization: basic(this.settings.clientId, this.settings.clientSecret),
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
        signal: AbortSignal.timeout(5000),
      });
    } catch {
      throw unavailable('the introspection endpoint cannot be reached');
    }
    // Tessera answers 503 when it cannot vouch for a token: never read that as "active".
    if (!response.ok) throw unavailable(`introspection answered ${response.status}`);
    const body: unknown = await response.json().catch(() => undefined);
    if (typeof body !== 'object' || body === null) throw unavailable('introspection answered no JSON object');
    return body as Record<string, unknown>;
  }

  /** RFC 7662 §2.2 answer → Principal, or 401 when it is not an active access token for us. */
  private accept(claims: Record<string, unknown>): Principal {
    if (claims.active !== true) throw invalidToken('the token is not active');
    // A refresh token has no token_type (RFC 7662 §2.2): it must not open the API. A
    // DPoP-bound access token is "DPoP" (RFC 9449 §6.2), its key in cnf.jkt.
    if (typeof claims.token_type !== 'string' || !ACCESS_TOKEN_TYPES.includes(claims.token_type.toLowerCase())) throw invalidToken('not an access token');
    if (claims.iss !== undefined && claims.iss !== this.options.issuer) throw invalidToken('the token is from another issuer');
    const audiences = [this.options.audience].flat();
    if (![claims.aud].flat().some((aud) => typeof aud === 'string' && audiences.includes(aud))) {
      throw invalidToken('the token is not meant for this resource');
    }
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= this.now()) throw invalidToken('the token has expired');
    return principalFrom(claims, 'introspection');
  }
}

function basic(id: string, secret: string): string {
  // RFC 6749 §2.3.1: form-encode each part before joining them.
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}
