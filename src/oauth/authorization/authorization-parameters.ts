import { FormParams } from '../form/form-params.js';
import { AUTHORIZATION_PARAMETERS, type Parameters } from './authorization-request.js';

/**
 * The authorization parameters of a query string, read as strictly as a form body
 * (RFC 6749 §3.1: a repeated parameter is invalid_request, an empty one is absent).
 */
export function queryParameters(url: string): Parameters {
  const mark = url.indexOf('?');
  return authorizationParameters(FormParams.parse(mark === -1 ? '' : url.slice(mark + 1)));
}

/** The authorization parameters of a form; every other member is left out. */
export function authorizationParameters(form: FormParams): Parameters {
  const params = new Map<string, string>();
  for (const name of AUTHORIZATION_PARAMETERS) {
    const value = form.get(name);
    if (value !== undefined) params.set(name, value);
  }
  return params;
}
