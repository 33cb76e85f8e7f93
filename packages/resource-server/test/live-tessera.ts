import { createHmac, createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { deriveKey, unseal } from '../../../src/common/crypto.js';
import { createClient, createUser, login, type TestClient, type TestUser } from '../../../test/factories/index.js';
import { jwtClaims, jwtHeader } from '../../../test/factories/resource-server.js';
import { startTestApp, type TestApp, TEST_SECRETS } from '../../../test/setup/app.js';
import type { ResourceServerOptions } from '../src/options.js';

export const ISSUER = 'http://tessera.test';
export const AUDIENCE = 'https://orders.example';

/** A live Tessera with an app whose tokens are for AUDIENCE, the API's own client and a user. */
export interface LiveTessera {
  readonly t: TestApp;
  readonly app: TestClient;
  readonly api: TestClient;
  readonly user: TestUser;
  /** the settings of a resource server for AUDIENCE, on the test server's port and clock */
  readonly options: ResourceServerOptions;
  token(scope?: string): Promise<string>;
}

export async function startLiveTessera(): Promise<LiveTessera> {
  const t = await startTestApp({ ISSUER });
  const app = await createClient(t, { audience: AUDIENCE, scopes: ['read', 'write'] });
  const api = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
  const user = await createUser(t);
  const options: ResourceServerOptions = {
    issuer: ISSUER,
    audience: AUDIENCE,
    realm: 'orders',
    // The test server listens on a port, not on its issuer's host name.
    jwksUri: `${t.url}/oauth/jwks`,
    introspection: { endpoint: `${t.url}/oauth/introspect`, clientId: api.id, clientSecret: api.secret! },
    now: () => t.clock.now(),
  };
  const token = async (scope = 'read write') => (await login(t, app, user, scope)).access_token;
  return { t, app, api, user, options, token };
}

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** The server's own signing key, read from its database: to sign what Tessera never would. */
export async function serverSigningKey(t: TestApp, kid: string): Promise<KeyObject> {
  const [row] = await t.db.dataSource.query<Array<{ private_key_sealed: Buffer }>>(`SELECT private_key_sealed FROM signing_keys WHERE kid = $1`, [kid]);
  const der = unseal(deriveKey(TEST_SECRETS.KEY_ENCRYPTION_SECRET, 'signing-key'), row.private_key_sealed, Buffer.from(kid));
  return createPrivateKey({ key: der!, format: 'der', type: 'pkcs8' });
}

export function es256(key: KeyObject, header: object, payload: object): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

export function hs256(secret: string, header: object, payload: object): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export function unsigned(header: object, payload: object): string {
  return `${b64(header)}.${b64(payload)}.`;
}

export { jwtClaims, jwtHeader };
