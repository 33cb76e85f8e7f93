import { bearerToken, tokenCredentials } from '../src/bearer.js';
import { BearerError, bearerResponse, insufficientScope, invalidToken, missingToken, unavailable } from '../src/errors.js';
import { TesseraModule } from '../src/nestjs/tessera.module.js';
import { ResourceServer } from '../src/resource-server.js';
import { RevocationView } from '../src/revocation-view.js';

describe('reading the Authorization header (RFC 6750 §2.1)', () => {
  it('takes the token of a Bearer header, the scheme in any case', () => {
    expect(bearerToken('Bearer abc.def-_~+/==')).toBe('abc.def-_~+/==');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken(['BEARER abc'])).toBe('abc');
  });

  it('sees no bearer credentials without a header or with another scheme', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('')).toBeUndefined();
    expect(bearerToken('Basic dXNlcjpwdw==')).toBeUndefined();
  });

  it.each(['Bearer', 'Bearer ', 'Bearer a b', 'Bearer a=b', 'Bearer tök', 'Bearer "abc"'])('refuses %j as invalid_request', (header) => {
    let thrown: unknown;
    try {
      bearerToken(header);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ status: 400, code: 'invalid_request' });
  });

  it('refuses two Authorization headers', () => {
    expect(() => bearerToken(['Bearer a', 'Bearer b'])).toThrow(BearerError);
  });

  it('tells the DPoP scheme (RFC 9449 §7.1) from Bearer, and no scheme from a name Object has', () => {
    expect(tokenCredentials('DPoP abc.def')).toEqual({ scheme: 'DPoP', token: 'abc.def' });
    expect(tokenCredentials('dpop abc')).toEqual({ scheme: 'DPoP', token: 'abc' });
    expect(bearerToken('DPoP abc')).toBeUndefined();
    expect(tokenCredentials('constructor abc')).toBeUndefined();
    expect(tokenCredentials('__proto__ abc')).toBeUndefined();
    expect(() => tokenCredentials('DPoP a b')).toThrow(expect.objectContaining({ status: 400, code: 'invalid_request', scheme: 'DPoP' }) as Error);
  });
});

describe('answering a refusal (RFC 6750 §3)', () => {
  it('challenges without an error code when no token was sent', () => {
    expect(bearerResponse(missingToken(), 'orders')).toMatchObject({ status: 401, headers: { 'www-authenticate': 'Bearer realm="orders"' }, body: {} });
    expect(bearerResponse(missingToken()).headers['www-authenticate']).toBe('Bearer');
  });

  it('names the error, and the scope for insufficient_scope', () => {
    expect(bearerResponse(invalidToken('the token has expired'), 'api')).toMatchObject({
      status: 401,
      headers: { 'www-authenticate': 'Bearer realm="api", error="invalid_token", error_description="the token has expired"' },
      body: { error: 'invalid_token', error_description: 'the token has expired' },
    });
    const answer = bearerResponse(insufficientScope(['read', 'write']));
    expect(answer.status).toBe(403);
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer error="insufficient_scope", .*scope="read write"$/);
  });

  it('keeps quotes and backslashes out of the header', () => {
    expect(bearerResponse(missingToken(), 'a"b\\c').headers['www-authenticate']).toBe('Bearer realm="abc"');
  });

  it('answers 503 with Retry-After and no challenge when it cannot decide', () => {
    const answer = bearerResponse(unavailable('the signing keys cannot be fetched'));
    expect(answer).toMatchObject({ status: 503, headers: { 'retry-after': '1' }, body: { error: 'temporarily_unavailable' } });
    expect(answer.headers['www-authenticate']).toBeUndefined();
  });
});

describe('settings that would accept forged tokens', () => {
  const base = { issuer: 'https://auth.example', audience: 'https://api.example' };
  it.each(['none', 'HS256', 'hs512'])('refuses the algorithm %s', (alg) => {
    expect(() => new ResourceServer({ ...base, algorithms: ['ES256', alg] })).toThrow(/may not be accepted/);
  });

  it('needs an issuer, an audience, and introspection settings to fall back on', () => {
    expect(() => new ResourceServer({ ...base, issuer: '' })).toThrow(/issuer/);
    expect(() => new ResourceServer({ ...base, audience: [] })).toThrow(/audience/);
    expect(() => new ResourceServer({ ...base, onStale: 'introspect' })).toThrow(/introspection/);
  });

  it('needs the client a revocation feed authenticates with, and no second view beside it', () => {
    expect(() => TesseraModule.forRoot({ ...base, revocationFeed: true })).toThrow(/introspection client/);
    const introspection = { clientId: 'orders-api', clientSecret: 'secret' };
    expect(() => TesseraModule.forRoot({ ...base, introspection, revocations: new RevocationView(), revocationFeed: true })).toThrow(/one or the other/);
    expect(TesseraModule.forRoot({ ...base, introspection, revocationFeed: true }).module).toBe(TesseraModule);
  });
});
