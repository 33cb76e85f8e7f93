import { Injectable } from '@nestjs/common';
import type { Client } from '../../clients/client.js';
import { LruCache } from '../../common/lru-cache.js';
import { ClientsService } from '../../clients/clients.service.js';
import { ClientAuthThrottle } from '../../throttle/request-throttles.js';
import { OAuthError } from '../errors/oauth-error.js';
import type { FormParams } from '../form/form-params.js';

export interface ClientCredentials {
  readonly authorization: string | undefined;
  readonly form: FormParams;
  /** the client IP (request.ip): failures are throttled per client_id and IP */
  readonly ip: string | undefined;
}

const MAX_REMEMBERED_HEADER = 512;

/** A client id and secret, sent in a Basic header or in the form. */
type IdAndSecret = { id: string; secret: string };
type Presented = ({ method: 'client_secret_basic' | 'client_secret_post' } & IdAndSecret) | { method: 'none'; id: string };

/**
 * client_secret_basic, client_secret_post and none (RFC 6749 §2.3). One method per
 * request; every failure is the same 401 invalid_client, whatever was wrong. Too many
 * failures for one client_id from one IP: further failures are 429 until the minute is
 * over, whether that client exists or not; the right secret still succeeds.
 */
@Injectable()
export class ClientAuthService {
  // A resource server sends the same Authorization header with every introspection:
  // decoding it (a regular expression, base64, two URL decodings) was a tenth of a cached
  // introspection's own work. Malformed headers are remembered too (null); a long header is
  // decoded each time, so the cache stays under a megabyte whatever is sent.
  private readonly basicHeaders = new LruCache<string, IdAndSecret | null>(1_024);

  constructor(
    private readonly clients: ClientsService,
    private readonly throttle: ClientAuthThrottle,
  ) {}

  /** `recent`: accept a client record up to REVOCATION_MAX_STALENESS_MS old (see ClientsService.findRecent). */
  async authenticate(credentials: ClientCredentials, options: { recent?: boolean } = {}): Promise<Client> {
    const presented = presentedCredentials(credentials, this.basic(credentials.authorization));
    const client = await (options.recent ? this.clients.findRecent(presented.id) : this.clients.findById(presented.id));
    if (client && this.proves(client, presented)) return client;
    this.throttle.failed(presented.id, credentials.ip);
    throw OAuthError.invalidClient(presented.method === 'client_secret_basic');
  }

  private basic(header: string | undefined): IdAndSecret | undefined {
    if (header === undefined) return undefined;
    if (header.length > MAX_REMEMBERED_HEADER) return parseBasic(header);
    let parsed = this.basicHeaders.get(header);
    if (parsed === undefined) {
      parsed = parseBasic(header) ?? null;
      this.basicHeaders.set(header, parsed);
    }
    return parsed ?? undefined;
  }

  private proves(client: Client, presented: Presented): boolean {
    if (presented.method === 'none') return client.type === 'public';
    return client.type === 'confidential' && this.clients.secretMatches(client, presented.secret);
  }
}

function presentedCredentials({ authorization, form }: ClientCredentials, basic: IdAndSecret | undefined): Presented {
  const postedId = form.get('client_id');
  const postedSecret = form.get('client_secret');
  if (basic) {
    // RFC 6749 §2.3: the client MUST NOT use more than one authentication method per request.
    if (postedSecret !== undefined) throw OAuthError.invalidRequest('use one client authentication method, not Basic and client_secret');
    if (postedId !== undefined && postedId !== basic.id) throw OAuthError.invalidRequest('client_id does not match the Basic credentials');
    return { method: 'client_secret_basic', ...basic };
  }
  if (authorization !== undefined && /^basic\b/i.test(authorization)) throw OAuthError.invalidClient(true);
  if (postedId === undefined) {
    if (postedSecret !== undefined) throw OAuthError.invalidRequest('client_secret without client_id');
    throw OAuthError.invalidClient(false);
  }
  if (postedSecret !== undefined) return { method: 'client_secret_post', id: postedId, secret: postedSecret };
  return { method: 'none', id: postedId };
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined by ':' and base64-encoded. */
function parseBasic(header: string): IdAndSecret | undefined {
  const match = /^basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    const id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    const secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    return secret === '' ? undefined : { id, secret };
  } catch {
    return undefined;
  }
}
