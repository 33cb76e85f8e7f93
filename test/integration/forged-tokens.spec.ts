import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deriveKey, unseal } from '../../src/common/crypto.js';
import { createClient, createUser, login, type TestClient, type TestUser } from '../factories/index.js';
import { INACTIVE_BODY, introspect, isActive, jwtClaims, jwtHeader, revoke } from '../factories/resource-server.js';
import { startTestApp, type TestApp, TEST_SECRETS } from '../setup/app.js';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function es256(key: KeyObject, header: object, payload: object): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

function hs256(secret: string | Buffer, header: object, payload: object): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/**
 * RFC 8725 attacks on JWT verification. Every forgery must be inactive on introspection,
 * leave nothing behind on revocation, and make the server fetch nothing.
 */
describe('forged access tokens are inactive', () => {
  let t: TestApp;
  let app: TestClient;
  let resourceServer: TestClient;
  let user: TestUser;
  let genuine: string;
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  let serverKey: KeyObject;
  let attacker: { privateKey: KeyObject; publicKey: KeyObject };
  let bait: Server;
  let baitUrl: string;
  const fetched: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    app = await createClient(t);
    resourceServer = await createClient(t, { grantTypes: ['client_credentials'], scopes: [], introspect: true });
    user = await createUser(t);
    genuine = (await login(t, app, user, 'read')).access_token;
    header = jwtHeader(genuine);
    claims = jwtClaims(genuine);
    const [row] = await t.db.dataSource.query<Array<{ private_key_sealed: Buffer }>>(`SELECT private_key_sealed FROM signing_keys WHERE kid = $1`, [header.kid]);
    const der = unseal(deriveKey(TEST_SECRETS.KEY_ENCRYPTION_SECRET, 'signing-key'), row.private_key_sealed, Buffer.from(header.kid as string));
    serverKey = createPrivateKey({ key: der!, format: 'der', type: 'pkcs8' });
    attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    // Where jku/x5u point: any request here is a verifier that fetched a key it was told to.
    bait = createServer((request, response) => {
      fetched.push(request.url ?? '');
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [{ ...attacker.publicKey.export({ format: 'jwk' }), kid: 'attacker', alg: 'ES256', use: 'sig' }] }));
    });
    await new Promise<void>((resolve) => bait.listen(0, '127.0.0.1', resolve));
    baitUrl = `http://127.0.0.1:${(bait.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => bait.close(resolve));
    await t.close();
  });

  async function expectRejected(forged: string): Promise<void> {
    const result = await introspect(t, resourceServer, forged);
    expect(result.status).toBe(200);
    expect(result.text).toBe(INACTIVE_BODY);
    // Revoking a forgery must not revoke the genuine token whose jti it carries.
    expect((await revoke(t, app, forged)).status).toBe(200);
    expect(await isActive(t, resourceServer, genuine)).toBe(true);
  }

  it('accepts a token signed here with the server key and the issued header (the control case)', async () => {
    const resigned = es256(serverKey, header, { ...claims, scope: 'read' });
    expect(await isActive(t, resourceServer, resigned)).toBe(true);
    expect(await isActive(t, resourceServer, genuine)).toBe(true);
  });

  it('alg: none, without a signature or with the genuine one', async () => {
    const none = { ...header, alg: 'none' };
    await expectRejected(`${b64(none)}.${b64(claims)}.`);
    await expectRejected(`${b64(none)}.${b64(claims)}.${genuine.split('.')[2]}`);
    await expectRejected(`${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`);
  });

  it('HS256 keyed with the public key (PEM, JWK or raw x)', async () => {
    const jwks = (await (await fetch(`${t.url}/oauth/jwks`)).json()) as { keys: Array<Record<string, string>> };
    const jwk = jwks.keys.find((key) => key.kid === header.kid)!;
    const publicKey = createPublicKey({ key: jwk as never, format: 'jwk' });
    const secrets = [
      publicKey.export({ format: 'pem', type: 'spki' }) as string,
      JSON.stringify(jwk),
      Buffer.from(jwk.x, 'base64url'),
    ];
    for (const secret of secrets) await expectRejected(hs256(secret, { ...header, alg: 'HS256' }, claims));
  });

  it('a tampered payload under the genuine signature', async () => {
    const signature = genuine.split('.')[2];
    for (const changed of [{ scope: 'read admin' }, { exp: (claims.exp as number) + 86_400 }, { sub: 'someone-else' }, { client_id: 'other' }]) {
      await expectRejected(`${b64(header)}.${b64({ ...claims, ...changed })}.${signature}`);
    }
  });

  it('an unknown kid, and the server kid on a token signed by another key', async () => {
    await expectRejected(es256(attacker.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'attacker' }, claims));
    await expectRejected(es256(attacker.privateKey, header, claims));
  });

  it('jku, x5u and an embedded jwk naming the attacker key, with nothing fetched', async () => {
    const attackerJwk = attacker.publicKey.export({ format: 'jwk' });
    await expectRejected(es256(attacker.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'attacker', jku: `${baitUrl}/jwks` }, claims));
    await expectRejected(es256(attacker.privateKey, { alg: 'ES256', typ: 'at+jwt', kid: 'attacker', x5u: `${baitUrl}/cert` }, claims));
    await expectRejected(es256(attacker.privateKey, { alg: 'ES256', typ: 'at+jwt', jwk: attackerJwk }, claims));
    await expectRejected(es256(attacker.privateKey, { ...header, jwk: attackerJwk }, claims));
    expect(fetched).toEqual([]);
  });

  it('jku, x5u, jwk, x5c or crit even on a token the server key did sign', async () => {
    const extras = [
      { jku: `${baitUrl}/jwks` },
      { x5u: `${baitUrl}/cert` },
      { jwk: attacker.publicKey.export({ format: 'jwk' }) },
      { x5c: ['MIIB'] },
      { crit: ['exp'] },
    ];
    for (const extra of extras) await expectRejected(es256(serverKey, { ...header, ...extra }, claims));
    expect(fetched).toEqual([]);
  });

  it('the server key with the wrong typ, alg or iss', async () => {
    await expectRejected(es256(serverKey, { ...header, typ: 'JWT' }, claims));
    await expectRejected(es256(serverKey, { alg: header.alg, kid: header.kid }, claims));
    await expectRejected(es256(serverKey, { ...header, alg: 'ES384' }, claims));
    await expectRejected(es256(serverKey, header, { ...claims, iss: 'https://evil.example' }));
    await expectRejected(es256(serverKey, header, { ...claims, exp: 'never' }));
  });
});
