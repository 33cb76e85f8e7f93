import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RequestCookies } from '../../browser/cookies.js';
import { CsrfTokens, LOGIN_BINDING, sameToken } from '../../browser/csrf-tokens.js';
import { forbidden } from '../../browser/request-checks.js';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import type { FormParams } from '../../oauth/form/form-params.js';
import type { LoginSession } from '../login-session.js';
import { LoginSessionsService } from '../login-sessions.service.js';
import { FORM_CSRF_COOKIE, SESSION_COOKIE } from '../session-cookie.js';
import { BAD_CSRF_TOKEN, checkFormCsrf, checkFormOrigin, postedForm } from './form-checks.js';

export interface LoginForm {
  readonly form: FormParams;
  readonly cookies: RequestCookies;
}

/**
 * A login form's post (the authorization request's login page and the account login):
 * from Tessera's own page, with the form's CSRF token equal to its cookie and signed for
 * logging in (OWASP signed double-submit cookie: there is no login session yet to bind
 * it to).
 */
export function checkLoginForm(request: FastifyRequest, csrf: CsrfTokens, issuerOrigin: string): LoginForm {
  checkFormOrigin(request, issuerOrigin);
  const form = postedForm(request.body);
  const cookies = RequestCookies.from(request.headers.cookie);
  const submitted = form.get('csrf_token');
  const cookie = cookies.one(FORM_CSRF_COOKIE);
  if (submitted === undefined || cookie === undefined || !sameToken(submitted, cookie) || !csrf.verify(submitted, LOGIN_BINDING)) {
    throw forbidden(BAD_CSRF_TOKEN);
  }
  return { form, cookies };
}

export interface SessionForm {
  /** undefined: no live login session */
  readonly session: LoginSession | undefined;
  readonly form: FormParams;
}

/**
 * A form that a page shown in a login session posts back (consent, account): from
 * Tessera's own page (Origin and Fetch Metadata), and, in a live login session, with the
 * CSRF token the page was given for that session (OWASP signed token; the session cookie
 * is SameSite=Lax, never sent on a cross-site post either).
 */
@Injectable()
export class SessionFormCheck {
  private readonly issuerOrigin: string;

  constructor(
    private readonly csrf: CsrfTokens,
    private readonly sessions: LoginSessionsService,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.issuerOrigin = new URL(config.issuer).origin;
  }

  async check(request: FastifyRequest): Promise<SessionForm> {
    checkFormOrigin(request, this.issuerOrigin);
    const form = postedForm(request.body);
    const session = await this.sessions.current(RequestCookies.from(request.headers.cookie).one(SESSION_COOKIE));
    if (session) checkFormCsrf(this.csrf, form, { kind: 'login-session', sessionId: session.id });
    return { session, form };
  }
}
