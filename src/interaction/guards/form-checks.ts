import type { FastifyRequest } from 'fastify';
import type { CsrfBinding, CsrfTokens } from '../../browser/csrf-tokens.js';
import { forbidden, requiredOrigin } from '../../browser/request-checks.js';
import { FormParams } from '../../oauth/form/form-params.js';
import { invalidRequest } from '../../oauth/authorization/authorization-error.js';

/**
 * A hosted page's form post comes from the page itself: Fetch Metadata same-origin
 * (or no such header, from a browser without it) and an Origin equal to the issuer's.
 * A cross-site post is refused before anything is read.
 */
export function checkFormOrigin(request: FastifyRequest, issuerOrigin: string): void {
  if (requiredOrigin(request) !== issuerOrigin) throw forbidden('the form was not posted from this server\'s page');
}

/** The posted form; anything else is not one of Tessera's pages. */
export function postedForm(body: unknown): FormParams {
  if (!(body instanceof FormParams)) throw invalidRequest('the request body must be application/x-www-form-urlencoded');
  return body;
}

export const BAD_CSRF_TOKEN = 'the form\'s CSRF token is missing or not valid: reload the page and try again';

/** The form's csrf_token, signed for `binding` (the page's session); else 403 and nothing is read further. */
export function checkFormCsrf(csrf: CsrfTokens, form: FormParams, binding: CsrfBinding): void {
  const token = form.get('csrf_token');
  if (token === undefined || !csrf.verify(token, binding)) throw forbidden(BAD_CSRF_TOKEN);
}
