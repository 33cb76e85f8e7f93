import type { FastifyRequest } from 'fastify';
import { forbidden, requiredOrigin } from '../../browser/request-checks.js';
import { FormParams, MalformedForm } from '../../oauth/form/form-params.js';
import { invalidRequest } from '../../oauth/authorization/authorization-error.js';

/**
 * A hosted page's form post comes from the page itself: Fetch Metadata same-origin
 * (or no such header, from a browser without it) and an Origin equal to the issuer's.
 * A cross-site post is refused before anything is read.
 */
export function checkFormOrigin(request: FastifyRequest, issuerOrigin: string): void {
  if (requiredOrigin(request) !== issuerOrigin) throw forbidden('the form was not posted from this server\'s page');
}

// The routes whose form posts come from a person's browser (Tessera's pages, or an RP's
// form post to the authorization and end-session endpoints).
const HOSTED_PAGE_PATHS = /^\/(oauth\/authorize|oauth\/logout|interaction\/)/;

/** Whether a malformed form body should reach the route (to be refused on a page) rather than be refused before it. */
export function refusedOnPage(url: string): boolean {
  return HOSTED_PAGE_PATHS.test(url);
}

/** The posted form; anything else is not one of Tessera's pages. */
export function postedForm(body: unknown): FormParams {
  // RFC 6749 §3.1 (repeated parameter, bad encoding): the same refusal, as a page.
  if (body instanceof MalformedForm) throw body.error;
  if (!(body instanceof FormParams)) throw invalidRequest('the request body must be application/x-www-form-urlencoded');
  return body;
}
