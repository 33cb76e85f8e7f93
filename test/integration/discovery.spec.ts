import { ClientsService } from '../../src/clients/clients.service.js';
import { ServerMetadataService } from '../../src/oauth/discovery/server-metadata.service.js';
import { createClient, readResult } from '../factories/index.js';
import { startTestApp, type TestApp } from '../setup/app.js';

const ISSUER = 'http://tessera.test';

async function metadata(t: TestApp): Promise<Record<string, unknown>> {
  const result = await readResult(await fetch(`${t.url}/.well-known/oauth-authorization-server`));
  expect(result.status).toBe(200);
  return result.body;
}

/** A client written by another process: this one learns of it only by reading the table. */
async function insertElsewhere(t: TestApp, id: string, scopes: string[]): Promise<void> {
  await t.db.dataSource.query(
    `INSERT INTO clients (id, type, grant_types, scopes, permissions, allowed_origins, access_token_format, created_at)
     VALUES ($1, 'public', '{password}', $2, '{}', '{}', 'jwt', now())`,
    [id, scopes],
  );
}

describe('RFC 8414 metadata', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('describes exactly what exists: the code flow with PKCE S256, PAR and RFC 9207 iss', async () => {
    expect(await metadata(t)).toEqual({
      issuer: ISSUER,
      token_endpoint: `${ISSUER}/oauth/token`,
      jwks_uri: `${ISSUER}/oauth/jwks`,
      introspection_endpoint: `${ISSUER}/oauth/introspect`,
      revocation_endpoint: `${ISSUER}/oauth/revoke`,
      authorization_endpoint: `${ISSUER}/oauth/authorize`,
      grant_types_supported: ['password', 'refresh_token', 'client_credentials', 'authorization_code'],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      pushed_authorization_request_endpoint: `${ISSUER}/oauth/par`,
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      service_documentation: `${ISSUER}/docs`,
      dpop_signing_alg_values_supported: ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
      access_token_signing_alg_values_supported: ['ES256'],
      scopes_supported: ['admin', 'email', 'offline_access', 'openid', 'profile'],
    });
  });

  it('builds the OpenID Connect document from the same members, plus its own', async () => {
    const oauth = await metadata(t);
    const openid = await t.app.get(ServerMetadataService).openidConfiguration();
    expect(openid).toEqual({
      ...oauth,
      userinfo_endpoint: `${ISSUER}/oauth/userinfo`,
      end_session_endpoint: `${ISSUER}/oauth/logout`,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      claims_supported: expect.arrayContaining(['sub', 'auth_time', 'nonce', 'sid', 'email', 'email_verified', 'name', 'preferred_username']),
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      claims_parameter_supported: false,
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
    });
    // OpenID Connect members: not in the RFC 8414 document.
    expect(oauth).not.toHaveProperty('end_session_endpoint');
    expect(oauth).not.toHaveProperty('backchannel_logout_supported');
  });

  it('lists the scopes clients are registered with: at once for a change made here, after deletion too', async () => {
    const web = await createClient(t, { scopes: ['read', 'write'] });
    await createClient(t, { scopes: ['orders:read', 'read'] });
    expect((await metadata(t)).scopes_supported).toEqual(['admin', 'email', 'offline_access', 'openid', 'orders:read', 'profile', 'read', 'write']);
    await t.app.get(ClientsService).delete(web.id, 'test');
    expect((await metadata(t)).scopes_supported).toEqual(['admin', 'email', 'offline_access', 'openid', 'orders:read', 'profile', 'read']);
  });

  it('shows a client registered by another process within 30 s, without a query per fetch before that', async () => {
    const before = (await metadata(t)).scopes_supported;
    await insertElsewhere(t, 'elsewhere', ['reports']);
    t.clock.advance(29);
    expect((await metadata(t)).scopes_supported).toEqual(before);
    t.clock.advance(2);
    expect((await metadata(t)).scopes_supported).toEqual(expect.arrayContaining(['reports']));
  });
});
