import { Inject, Injectable } from '@nestjs/common';
import { ADMIN_SCOPE } from '../../auth-guard/bearer.guard.js';
import { ClientsService } from '../../clients/clients.service.js';
import { DPOP_SIGNING_ALGS } from '../dpop/dpop-algs.js';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { CODE_CHALLENGE_METHODS } from '../authorization/pkce.js';
import { OIDC_SCOPES } from '../oidc/oidc-scopes.js';
import { KeysService } from '../keys/keys.service.js';
import { TokenService } from '../token/token.service.js';

const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'];
const CONFIDENTIAL_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'];
/** Scopes Tessera itself gives a meaning to, whether or not a client is registered with them yet. */
const BUILT_IN_SCOPES = [ADMIN_SCOPE, ...OIDC_SCOPES];
/** Every claim an ID token or the userinfo endpoint may carry (Discovery 1.0 §3 claims_supported). */
const CLAIMS = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'sid', 'azp', 'amr', 'preferred_username', 'name', 'email', 'email_verified'];

/**
 * The two discovery documents from one source: RFC 8414 metadata (with RFC 7636, RFC 9126
 * and RFC 9207 members) and OpenID Connect Discovery 1.0, which is the same plus its own
 * members, so a member both name never differs between them.
 */
@Injectable()
export class ServerMetadataService {
  private readonly metadata: Readonly<Record<string, unknown>>;
  private readonly openid: Readonly<Record<string, unknown>>;

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
      // RFC 9449 §5.1: DPoP is supported, with proofs signed by these algorithms.
      dpop_signing_alg_values_supported: DPOP_SIGNING_ALGS,
    });
    this.openid = Object.freeze({
      ...this.metadata,
      userinfo_endpoint: `${base}/oauth/userinfo`,
      // RP-Initiated Logout 1.0 §2.1. Like userinfo_endpoint, an OpenID Connect member: the
      // RFC 8414 document keeps to OAuth's own.
      end_session_endpoint: `${base}/oauth/logout`,
      subject_types_supported: ['public'],
      claims_supported: CLAIMS,
      // Discovery 1.0 §3: these default to what Tessera does not do (request objects by
      // value, by reference fetched from the client, the claims parameter). A PAR
      // request_uri is RFC 9126's, announced by pushed_authorization_request_endpoint.
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      claims_parameter_supported: false,
      // Back-Channel Logout 1.0 §2.1: logout tokens are POSTed, and always carry sid.
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
    });
  }

  async oauthMetadata(): Promise<Record<string, unknown>> {
    // The key that signs, not SIGNING_ALG: a changed setting alone never rotates the key.
    return { ...this.metadata, access_token_signing_alg_values_supported: this.keys.signingAlgs(), scopes_supported: await this.scopesSupported() };
  }

  async openidConfiguration(): Promise<Record<string, unknown>> {
    const algs = this.keys.signingAlgs();
    return {
      ...this.openid,
      access_token_signing_alg_values_supported: algs,
      id_token_signing_alg_values_supported: algs,
      scopes_supported: await this.scopesSupported(),
    };
  }

  private async scopesSupported(): Promise<string[]> {
    const registered = await this.clients.registeredScopes();
    return [...new Set([...BUILT_IN_SCOPES, ...registered])].sort();
  }
}
