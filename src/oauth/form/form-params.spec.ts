import { OAuthError } from '../errors/oauth-error.js';
import { FormParams, formOf } from './form-params.js';

function errorOf(fn: () => unknown): OAuthError {
  try {
    fn();
  } catch (error) {
    return error as OAuthError;
  }
  throw new Error('expected a throw');
}

describe('FormParams', () => {
  it('decodes percent escapes and plus signs', () => {
    const form = FormParams.parse('username=a%40b.example&password=p+w%2Bd');
    expect(form.get('username')).toBe('a@b.example');
    expect(form.get('password')).toBe('p w+d');
  });

  it('treats an empty value as omitted (RFC 6749 §3.1)', () => {
    const form = FormParams.parse('scope=&grant_type=password');
    expect(form.has('scope')).toBe(false);
    expect(errorOf(() => form.require('scope')).description).toBe('missing parameter: scope');
  });

  it.each([
    ['a repeated parameter', 'grant_type=password&grant_type=client_credentials', 'parameter grant_type is repeated'],
    ['a bracketed parameter', 'scope[]=a&scope[]=b', 'parameter names may not contain brackets'],
    ['a malformed escape', 'username=%E0%A4%A', 'the body is not valid application/x-www-form-urlencoded UTF-8'],
    ['invalid UTF-8', 'username=%C3%28', 'the body is not valid application/x-www-form-urlencoded UTF-8'],
    ['a NUL byte', 'username=a%00b', 'parameter username contains a NUL byte'],
  ])('refuses %s as invalid_request', (_, body, description) => {
    const error = errorOf(() => FormParams.parse(body));
    expect(error).toBeInstanceOf(OAuthError);
    expect(error.code).toBe('invalid_request');
    expect(error.description).toBe(description);
  });

  it('refuses a body that is not a form', () => {
    expect(errorOf(() => formOf({ grant_type: 'password' })).code).toBe('invalid_request');
    expect(errorOf(() => formOf(undefined)).code).toBe('invalid_request');
  });
});
