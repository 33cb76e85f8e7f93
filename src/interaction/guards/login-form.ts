import type { FastifyRequest } from 'fastify';
import { RequestCookies } from '../../browser/cookies.js';
import { type CsrfTokens, LOGIN_BINDING, sameToken } from '../../browser/csrf-tokens.js';
import { forbidden } from '../../browser/request-checks.js';
import type { FormParams } from '../../oauth/form/form-params.js';
import { FORM_CSRF_COOKIE } from '../session-cookie.js';
import { checkFormOrigin, postedForm } from './form-checks.js';

export interface LoginForm {
  readonly form: FormParams;
  readonly cookies: RequestCookies;
  /** the CSRF token, equal in the form and its cookie and signed for logging in: it names this browser's login form */
  readonly token: string;
}

/**
 * A post of a login form (password or passkey): from Tessera's own page, with the form's
 * CSRF token equal to its cookie and signed for logging in (double submit).
 */
export function checkedLoginForm(request: FastifyRequest, issuerOrigin: string, csrf: CsrfTokens): LoginForm {
  checkFormOrigin(request, issuerOrigin);
  const form = postedForm(request.body);
  const cookies = RequestCookies.from(request.headers.cookie);
  const submitted = form.get('csrf_token');
  const cookie = cookies.one(FORM_CSRF_COOKIE);
  if (submitted === undefined || cookie === undefined || !sameToken(submitted, cookie) || !csrf.verify(submitted, LOGIN_BINDING)) {
    throw forbidden('the form\'s CSRF token is missing or not valid: reload the page and try again');
  }
  return { form, cookies, token: submitted };
}
