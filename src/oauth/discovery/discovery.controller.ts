import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { TokenService } from '../token/token.service.js';
import { ApiTags } from '@nestjs/swagger';
import { Operation } from '../../http/openapi.js';
import { ServerMetadata } from '../oauth.schemas.js';

const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'];
const CONFIDENTIAL_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'];

/** RFC 8414 authorization server metadata. */
@ApiTags('discovery')
@Controller('.well-known')
export class DiscoveryController {
  private readonly metadata: Record<string, unknown>;

  constructor(@Inject(CONFIG) config: ResolvedConfig, tokens: TokenService) {
    const base = config.issuer;
    this.metadata = Object.freeze({
      issuer: base,
      token_endpoint: `${base}/oauth/token`,
      jwks_uri: `${base}/oauth/jwks`,
      introspection_endpoint: `${base}/oauth/introspect`,
      revocation_endpoint: `${base}/oauth/revoke`,
      grant_types_supported: tokens.grantTypes,
      response_types_supported: [],
      token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
      introspection_endpoint_auth_methods_supported: CONFIDENTIAL_AUTH_METHODS,
      revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
      scopes_supported: ['admin'],
      access_token_signing_alg_values_supported: [config.signingAlg],
    });
  }

  @Get('oauth-authorization-server')
  @Header('Cache-Control', 'public, max-age=300')
  @Operation({ summary: 'Authorization server metadata (RFC 8414)', returns: ServerMetadata, fails: [] })
  metadataDocument(): Record<string, unknown> {
    return this.metadata;
  }
}
