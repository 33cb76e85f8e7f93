import { OAuthError } from '../oauth/errors/oauth-error.js';
import { FormParams } from '../oauth/form/form-params.js';
import { parseScope } from '../oauth/scope.js';
import { passwordWithinLimit } from '../users/users.service.js';

export interface LoginParams {
  readonly username: string;
  readonly password: string;
  readonly clientId: string;
  readonly scope: string[] | undefined;
}

const NAMES = ['username', 'password', 'client_id', 'scope'] as const;
type Name = (typeof NAMES)[number];

/**
 * The /auth/login body: application/x-www-form-urlencoded (read as strictly as the
 * OAuth endpoints read it) or a JSON object of strings. As in a form, an empty value
 * counts as absent.
 */
export function loginParams(body: unknown): LoginParams {
  const read = reader(body);
  const required = (name: Name): string => {
    const value = read(name);
    if (value === undefined) throw OAuthError.invalidRequest(`missing parameter: ${name}`);
    return value;
  };
  const params = {
    username: required('username'),
    password: required('password'),
    clientId: required('client_id'),
    scope: scopeOf(read('scope')),
  };
  if (!passwordWithinLimit(params.password)) throw OAuthError.invalidRequest('password is longer than 1024 bytes');
  return params;
}

function reader(body: unknown): (name: Name) => string | undefined {
  if (body instanceof FormParams) return (name) => body.get(name);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw OAuthError.invalidRequest('the request body must be application/x-www-form-urlencoded or a JSON object');
  }
  const object = body as Record<string, unknown>;
  for (const name of NAMES) {
    const value = Object.hasOwn(object, name) ? object[name] : undefined;
    if (value !== undefined && value !== null && typeof value !== 'string') throw OAuthError.invalidRequest(`${name} must be a string`);
    if (typeof value === 'string' && value.includes('\u0000')) throw OAuthError.invalidRequest(`${name} contains a NUL byte`);
  }
  return (name) => {
    const value = Object.hasOwn(object, name) ? object[name] : undefined;
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
}

function scopeOf(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const scopes = parseScope(raw);
  if (scopes === null) throw new OAuthError('invalid_scope', 'scope must be space-separated scope tokens (RFC 6749 §3.3)');
  return scopes;
}
