import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ADMIN_SCOPE } from '../../auth-guard/bearer.guard.js';
import { ClientsService } from '../../clients/clients.service.js';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { TokenService } from '../token/token.service.js';
import { KeysService } from '../keys/keys.service.js';
import { Operation } from '../../http/openapi.js';
import { ServerMetadata } from '../oauth.schemas.js';
import { CODE_CHALLENGE_METHODS } from '../authorization/pkce.js';

const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'];
const CONFIDENTIAL_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'];
/** Scopes Tessera itself gives a meaning to, whether or not a client is registered with them yet. */
const BUILT_IN_SCOPES = [ADMIN_SCOPE];

/** RFC 8414 authorization server metadata, with RFC 7636, RFC 9126 and RFC 9207 members. */
@ApiTags('discovery')
@Controller('.well-known')
export class DiscoveryController {
  private readonly metadata: Readonly<Record<string, unknown>>;

  constructor(
    @Inject(CONFIG) config: ResolvedConfig,
    tokens: TokenService,
    private readonly clients: ClientsService,
    private readonly keys: KeysService,
  ) {
    const base = config.issuer;
    this.metadata = Object.freeze({
      issuer: base,
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      jwks_uri: `${base}/oauth/jwks`,
      introspection_endpoint: `${base}/oauth/introspect`,
      revocation_endpoint: `${base}/oauth/revoke`,
      grant_types_supported: tokens.grantTypes,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      // OAuth 2.1 §4.1.1: PKCE for every client, and never plain.
      code_challenge_methods_supported: CODE_CHALLENGE_METHODS,
      // RFC 9207 §3: every authorization response carries iss.
      authorization_response_iss_parameter_supported: true,
      pushed_authorization_request_endpoint: `${base}/oauth/par`,
      // RFC 9126 §5: said only when it is so.
      ...(config.requirePar ? { require_pushed_authorization_requests: true } : {}),
      token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
      // RFC 7662 §2.1: introspection callers are confidential clients.
      introspection_endpoint_auth_methods_supported: CONFIDENTIAL_AUTH_METHODS,
      // RFC 7009 §2.1: public clients identify themselves to revoke their own tokens.
      revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
      // §2: where a developer learns how to register a client (there is no RFC 7591 endpoint).
      service_documentation: `${base}/docs`,
    });
  }

  @Get('oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=300')
  @Operation({ summary: 'Authorization server metadata (RFC 8414)', returns: ServerMetadata, fails: [] })
  async metadataDocument(): Promise<Record<string, unknown>> {
    const registered = await this.clients.registeredScopes();
    return {
      ...this.metadata,
      // The key that signs, not SIGNING_ALG: a changed setting alone never rotates the key.
      access_token_signing_alg_values_supported: this.keys.signingAlgs(),
      scopes_supported: [...new Set([...BUILT_IN_SCOPES, ...registered])].sort(),
    };
  }
}
