import type { Client } from '../../../clients/client.js';
import { AuthorizationError } from '../authorization-error.js';
import { s256 } from '../pkce.js';
import { checkClient, checkClientId } from './check-client.js';
import { checkRedirectUri, redirectUriMatches } from './check-redirect-uri.js';
import {
  checkDpopJkt,
  checkMaxAge,
  checkPkce,
  checkPrompt,
  checkRequirePar,
  checkResponseMode,
  checkResponseType,
  checkScope,
  checkState,
  type CheckInput,
  parsePrompt,
} from './request-checks.js';

const client = {
  id: 'web',
  grantTypes: ['authorization_code'],
  scopes: ['read', 'write'],
  redirectUris: ['https://app.example.com/cb', 'http://127.0.0.1:8080/cb'],
  requirePar: false,
  firstParty: false,
} as unknown as Client;

const CHALLENGE = s256('v'.repeat(43));
const VALID = { response_type: 'code', code_challenge: CHALLENGE, code_challenge_method: 'S256' };

function input(params: Record<string, string>, overrides: Partial<CheckInput> = {}): CheckInput {
  return { params: new Map(Object.entries({ ...VALID, ...params })), client, pushed: false, ...overrides };
}

function errorOf(run: () => unknown): AuthorizationError {
  try {
    run();
  } catch (error) {
    if (error instanceof AuthorizationError) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('the checks before the redirect URI is proven', () => {
  it('client_id: present and well-formed; the client known and registered for the code grant', () => {
    expect(errorOf(() => checkClientId(new Map())).code).toBe('invalid_request');
    expect(errorOf(() => checkClientId(new Map([['client_id', '<script>']]))).code).toBe('invalid_client');
    expect(errorOf(() => checkClient(undefined)).code).toBe('invalid_client');
    expect(errorOf(() => checkClient({ ...client, grantTypes: ['password'] })).code).toBe('unauthorized_client');
    expect(checkClient(client)).toBe(client);
  });

  it('redirect_uri: an exact registered string, required when the client has several', () => {
    expect(checkRedirectUri(new Map([['redirect_uri', 'https://app.example.com/cb']]), client)).toEqual({ redirectUri: 'https://app.example.com/cb', sent: true });
    expect(errorOf(() => checkRedirectUri(new Map(), client)).description).toMatch(/more than one/);
    const one = { ...client, redirectUris: ['https://app.example.com/cb'] } as Client;
    expect(checkRedirectUri(new Map(), one)).toEqual({ redirectUri: 'https://app.example.com/cb', sent: false });
    for (const hostile of [
      'https://app.example.com/cb/',
      'https://app.example.com/cb/../cb',
      'https://app.example.com/cb?x=1',
      'https://app.example.com:443/cb',
      'https://app.example.com:8443/cb',
      'https://user@app.example.com/cb',
      'https://app.example.com.evil.example/cb',
      'HTTPS://app.example.com/cb',
      'https://app.example.com/cb#',
    ]) {
      const error = errorOf(() => checkRedirectUri(new Map([['redirect_uri', hostile]]), client));
      expect(error.redirect).toBeUndefined();
      expect(error.description).toBe('redirect_uri is not registered for this client');
    }
  });

  it('a loopback registration matches any port, and nothing else of the URI may differ (RFC 8252 §7.3)', () => {
    expect(redirectUriMatches('http://127.0.0.1:8080/cb', 'http://127.0.0.1:51234/cb')).toBe(true);
    expect(redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:51234/cb')).toBe(true);
    expect(redirectUriMatches('http://127.0.0.1:8080/cb', 'http://127.0.0.1:8080/other')).toBe(false);
    expect(redirectUriMatches('http://127.0.0.1:8080/cb', 'http://[::1]:8080/cb')).toBe(false);
    expect(redirectUriMatches('http://127.0.0.1:8080/cb', 'http://127.0.0.1:8080@evil.example/cb')).toBe(false);
    expect(redirectUriMatches('https://app.example.com:8443/cb', 'https://app.example.com:9443/cb')).toBe(false);
  });
});

describe('the checks whose errors redirect', () => {
  it('accept a minimal valid request', () => {
    for (const check of [checkRequirePar, checkResponseType, checkResponseMode, checkScope, checkPkce, checkDpopJkt, checkState, checkPrompt, checkMaxAge]) {
      expect(() => check(input({}))).not.toThrow();
    }
  });

  it('accept the OpenID Connect scopes from a code-flow client that did not register them', () => {
    expect(() => checkScope(input({ scope: 'openid profile email offline_access read' }))).not.toThrow();
    const noCodeGrant = { ...client, grantTypes: ['client_credentials'] } as unknown as Client;
    expect(errorOf(() => checkScope({ ...input({ scope: 'openid' }), client: noCodeGrant })).code).toBe('invalid_scope');
    expect(errorOf(() => checkScope(input({ scope: 'openid phone' }))).code).toBe('invalid_scope');
  });

  it.each<[string, (i: CheckInput) => void, Record<string, string>, string]>([
    ['no response_type', checkResponseType, { response_type: '' }, 'invalid_request'],
    ['response_type=token', checkResponseType, { response_type: 'token' }, 'unsupported_response_type'],
    ['response_mode=fragment', checkResponseMode, { response_mode: 'fragment' }, 'invalid_request'],
    ['an unregistered scope', checkScope, { scope: 'read admin' }, 'invalid_scope'],
    ['a malformed scope', checkScope, { scope: 'read  write' }, 'invalid_scope'],
    ['no code_challenge', checkPkce, { code_challenge: '' }, 'invalid_request'],
    ['code_challenge_method=plain', checkPkce, { code_challenge_method: 'plain' }, 'invalid_request'],
    ['no code_challenge_method', checkPkce, { code_challenge_method: '' }, 'invalid_request'],
    ['a challenge that is no SHA-256', checkPkce, { code_challenge: 'short' }, 'invalid_request'],
    ['a dpop_jkt that is no SHA-256 thumbprint (RFC 9449 §10)', checkDpopJkt, { dpop_jkt: 'not-a-thumbprint' }, 'invalid_request'],
    ['a huge state', checkState, { state: 's'.repeat(2049) }, 'invalid_request'],
    ['prompt=none login', checkPrompt, { prompt: 'none login' }, 'invalid_request'],
    ['prompt=select_account', checkPrompt, { prompt: 'select_account' }, 'invalid_request'],
    ['max_age=-1', checkMaxAge, { max_age: '-1' }, 'invalid_request'],
    ['max_age=1.5', checkMaxAge, { max_age: '1.5' }, 'invalid_request'],
  ])('refuse %s', (_case, check, params, code) => {
    const map = new Map(Object.entries({ ...VALID, ...params }).filter(([, v]) => v !== ''));
    expect(errorOf(() => check({ params: map, client, pushed: false })).code).toBe(code);
  });

  it('accept a dpop_jkt that has the shape of a JWK SHA-256 thumbprint', () => {
    expect(() => checkDpopJkt(input({ dpop_jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' }))).not.toThrow();
  });

  it('a client registered --require-par sends nothing but pushed requests', () => {
    const par = { ...client, requirePar: true } as Client;
    expect(errorOf(() => checkRequirePar(input({}, { client: par }))).description).toMatch(/pushed authorization requests/);
    expect(() => checkRequirePar(input({}, { client: par, pushed: true }))).not.toThrow();
    expect(errorOf(() => checkRequirePar(input({}, { parRequired: true }))).code).toBe('invalid_request');
    expect(() => checkRequirePar(input({}, { parRequired: true, pushed: true }))).not.toThrow();
  });

  it('parsePrompt reads each value once', () => {
    expect(parsePrompt('login consent')).toEqual(new Set(['login', 'consent']));
    expect(parsePrompt('login login')).toBeNull();
    expect(parsePrompt(undefined)).toEqual(new Set());
  });
});
