import { z } from 'zod';
import { GRANT_TYPES } from '../clients/client.js';

/*
 * The OAuth endpoints' forms and answers, for the OpenAPI document. The forms are read by
 * FormParams, strictly and cheaply, on the hot path; these schemas only describe them.
 * RFC 6749 §3.2: unrecognized parameters are ignored, so the forms are open objects.
 */

const clientCredentials = {
  client_id: z.string().meta({ description: 'client_secret_post or a public client; with Basic, only if equal to its id' }).optional(),
  client_secret: z.string().meta({ description: 'client_secret_post; never together with Basic' }).optional(),
};

export const TokenForm = z
  .object({
    grant_type: z.enum(GRANT_TYPES),
    username: z.string().meta({ description: 'password grant' }).optional(),
    password: z.string().meta({ description: 'password grant' }).optional(),
    refresh_token: z.string().meta({ description: 'refresh_token grant' }).optional(),
    code: z.string().meta({ description: 'authorization_code grant' }).optional(),
    code_verifier: z.string().meta({ description: 'authorization_code grant: the PKCE verifier (RFC 7636 §4.5)' }).optional(),
    redirect_uri: z.string().meta({ description: 'authorization_code grant: as sent to /oauth/authorize, when it was sent' }).optional(),
    scope: z.string().meta({ description: 'space-separated; on refresh, only narrower than granted' }).optional(),
    ...clientCredentials,
  })
  .meta({ id: 'TokenRequest', description: 'RFC 6749 §4.1.3, §4.3, §4.4, §6' });

export const TokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.enum(['Bearer', 'DPoP']).meta({ description: 'DPoP when a DPoP proof came with the request: the tokens are bound to its key (RFC 9449 §5)' }),
    expires_in: z.int().meta({ description: 'seconds' }),
    refresh_token: z.string().meta({ description: 'password, authorization_code and refresh_token grants' }).optional(),
    scope: z.string(),
    id_token: z.string().meta({ description: 'scope openid, from a code exchange or the refresh of its session (OIDC Core §3.1.3.3, §12.2)' }).optional(),
  })
  .meta({ id: 'TokenResponse', description: 'RFC 6749 §5.1' });

const tokenTypeHint = z
  .string()
  .meta({ description: 'access_token or refresh_token: a hint only, every type is searched and an unknown hint is ignored' })
  .optional();

export const IntrospectionForm = z
  .object({ token: z.string(), token_type_hint: tokenTypeHint, ...clientCredentials })
  .meta({ id: 'IntrospectionRequest', description: 'RFC 7662 §2.1' });

export const RevocationForm = z
  .object({ token: z.string(), token_type_hint: tokenTypeHint, ...clientCredentials })
  .meta({ id: 'RevocationRequest', description: 'RFC 7009 §2.1' });

const ActiveToken = z.object({
  active: z.literal(true),
  token_type: z
    .enum(['Bearer', 'DPoP'])
    .meta({ description: 'access tokens only: a refresh token has no token type (RFC 7662 §2.2, RFC 6749 §7.1); DPoP when bound (RFC 9449 §6.2)' })
    .optional(),
  scope: z.string(),
  client_id: z.string(),
  username: z.string().meta({ description: 'absent for client_credentials tokens' }).optional(),
  sub: z.string(),
  aud: z.union([z.string(), z.array(z.string())]).meta({ description: 'absent for refresh tokens' }).optional(),
  iss: z.string(),
  exp: z.int(),
  iat: z.int(),
  jti: z.string().meta({ description: 'absent for refresh tokens' }).optional(),
  sid: z.string().meta({ description: 'the session (family) of a user login' }).optional(),
  cnf: z
    .object({ jkt: z.string() })
    .meta({ description: 'RFC 9449 §6.2: the thumbprint of the DPoP key the token is bound to' })
    .optional(),
});

/** RFC 7009 §2.2: the client ignores the body; `{}` keeps JSON-parsing clients working. */
export const RevocationResponse = z.strictObject({}).meta({ id: 'RevocationResponse', description: 'RFC 7009 §2.2: always `{}`' });

export const IntrospectionResponse = z
  .union([z.object({ active: z.literal(false) }), ActiveToken])
  .meta({ id: 'IntrospectionResponse', description: 'RFC 7662 §2.2: {"active": false} and nothing more for any token not proven active' });

export const ServerMetadata = z
  .object({
    issuer: z.string(),
    authorization_endpoint: z.string(),
    token_endpoint: z.string(),
    jwks_uri: z.string(),
    introspection_endpoint: z.string(),
    revocation_endpoint: z.string(),
    grant_types_supported: z.array(z.string()),
    response_types_supported: z.array(z.string()),
    response_modes_supported: z.array(z.string()),
    code_challenge_methods_supported: z.array(z.string()),
    authorization_response_iss_parameter_supported: z.boolean(),
    pushed_authorization_request_endpoint: z.string(),
    require_pushed_authorization_requests: z.boolean().meta({ description: 'present (true) when REQUIRE_PAR=true' }).optional(),
    token_endpoint_auth_methods_supported: z.array(z.string()),
    introspection_endpoint_auth_methods_supported: z.array(z.string()),
    revocation_endpoint_auth_methods_supported: z.array(z.string()),
    scopes_supported: z.array(z.string()),
    access_token_signing_alg_values_supported: z.array(z.string()),
    dpop_signing_alg_values_supported: z.array(z.string()).meta({ description: 'RFC 9449 §5.1: the algorithms a DPoP proof may use' }),
    service_documentation: z.string(),
  })
  .meta({ id: 'AuthorizationServerMetadata', description: 'RFC 8414 §2' });

export const OpenIdConfiguration = ServerMetadata.extend({
  userinfo_endpoint: z.string(),
  end_session_endpoint: z.string().meta({ description: 'OpenID Connect RP-Initiated Logout 1.0 §2.1' }),
  subject_types_supported: z.array(z.string()),
  id_token_signing_alg_values_supported: z.array(z.string()),
  claims_supported: z.array(z.string()),
  request_parameter_supported: z.boolean(),
  request_uri_parameter_supported: z.boolean(),
  claims_parameter_supported: z.boolean(),
  backchannel_logout_supported: z.boolean(),
  backchannel_logout_session_supported: z.boolean(),
}).meta({ id: 'OpenIdConfiguration', description: 'OpenID Connect Discovery 1.0 §3: the RFC 8414 members with the same values, and its own' });

export const Jwks = z
  .object({
    keys: z.array(
      z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.literal('sig') }).meta({ id: 'Jwk', description: 'RFC 7517 public key' }),
    ),
  })
  .meta({ id: 'Jwks', description: 'RFC 7517 §5' });
