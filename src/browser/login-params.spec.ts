import { OAuthError } from '../oauth/errors/oauth-error.js';
import { FormParams } from '../oauth/form/form-params.js';
import { loginParams } from './login-params.js';

function errorOf(fn: () => unknown): OAuthError {
  try {
    fn();
  } catch (error) {
    return error as OAuthError;
  }
  throw new Error('expected a throw');
}

describe('loginParams', () => {
  const expected = { username: 'alice', password: 'correct horse', clientId: 'spa', scope: ['read'] };

  it('reads a form and a JSON object alike', () => {
    expect(loginParams(FormParams.parse('username=alice&password=correct+horse&client_id=spa&scope=read'))).toEqual(expected);
    expect(loginParams({ username: 'alice', password: 'correct horse', client_id: 'spa', scope: 'read', extra: 1 })).toEqual(expected);
    expect(loginParams({ username: 'alice', password: 'correct horse', client_id: 'spa' }).scope).toBeUndefined();
  });

  it.each([
    ['no body', undefined, 'the request body must be application/x-www-form-urlencoded or a JSON object'],
    ['a JSON array', ['alice'], 'the request body must be application/x-www-form-urlencoded or a JSON object'],
    ['a JSON string', 'alice', 'the request body must be application/x-www-form-urlencoded or a JSON object'],
    ['a missing password', { username: 'alice', client_id: 'spa' }, 'missing parameter: password'],
    ['an empty username', { username: '', password: 'p', client_id: 'spa' }, 'missing parameter: username'],
    ['a number', { username: 'alice', password: 7, client_id: 'spa' }, 'password must be a string'],
    ['an object', { username: { $gt: '' }, password: 'p', client_id: 'spa' }, 'username must be a string'],
    ['a NUL byte', { username: 'al\u0000ice', password: 'p', client_id: 'spa' }, 'username contains a NUL byte'],
    ['a password over 1024 bytes', { username: 'alice', password: 'é'.repeat(513), client_id: 'spa' }, 'password is longer than 1024 bytes'],
  ])('answers %s with invalid_request', (_name, body, description) => {
    const error = errorOf(() => loginParams(body));
    expect(error).toBeInstanceOf(OAuthError);
    expect([error.code, error.description]).toEqual(['invalid_request', description]);
  });

  it('answers a malformed scope with invalid_scope', () => {
    expect(errorOf(() => loginParams({ username: 'a', password: 'p', client_id: 'spa', scope: 'read  write' })).code).toBe('invalid_scope');
  });

  it('does not read inherited properties', () => {
    const body = Object.create({ username: 'alice', password: 'p', client_id: 'spa' }) as object;
    expect(errorOf(() => loginParams(body)).description).toBe('missing parameter: username');
  });
});
