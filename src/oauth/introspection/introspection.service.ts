import { Injectable } from '@nestjs/common';
import { INTROSPECT_PERMISSION } from '../../clients/client.js';
import type { TokenDescription } from '../access-token/token-description.js';
import { TokenLookup } from '../access-token/token-lookup.service.js';
import { IntrospectionThrottle } from '../../throttle/request-throttles.js';
import { type ClientCredentials, ClientAuthService } from '../client-auth/client-auth.service.js';
import { OAuthError } from '../errors/oauth-error.js';

/** RFC 7662 §2.2: anything not proven active is `{"active": false}` and nothing more. */
export type IntrospectionResponse = { readonly active: false } | ({ readonly active: true } & TokenDescription);

/**
 * RFC 7662 token introspection, failing closed: the answer starts inactive and becomes
 * active only when the token was found, is visible to the caller, and every check held.
 */
@Injectable()
export class IntrospectionService {
  constructor(
    private readonly clientAuth: ClientAuthService,
    private readonly lookup: TokenLookup,
    private readonly throttle: IntrospectionThrottle,
  ) {}

  async introspect(credentials: ClientCredentials): Promise<IntrospectionResponse> {
    const { form } = credentials;
    // RFC 7662 §2.1: the endpoint MUST require authorization (against token scanning);
    // CONTRACT: the caller is an authenticated confidential client.
    const client = await this.clientAuth.authenticate(credentials, { recent: true });
    if (client.type !== 'confidential') throw OAuthError.invalidClient(false);
    const token = form.require('token');
    this.throttle.check(client.id);
    const found = await this.lookup.find(token, form.get('token_type_hint'));
    if (!found) {
      // Not this server's token at all: what a scanner sends (expired or revoked ones are found).
      this.throttle.unknownToken(client.id);
      return inactive();
    }
    // Without the introspect permission a client learns only about its own tokens
    // (RFC 7662 §4: the server decides which tokens a caller may know about).
    if (found.clientId !== client.id && !client.permissions.includes(INTROSPECT_PERMISSION)) return inactive();
    const description = await this.lookup.describe(found);
    return description ? { active: true, ...description } : inactive();
  }
}

function inactive(): IntrospectionResponse {
  return { active: false };
}
