import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RequestCookies } from '../../browser/cookies.js';
import { CsrfTokens, LOGIN_BINDING, sameToken } from '../../browser/csrf-tokens.js';
import { forbidden } from '../../browser/request-checks.js';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import type { FormParams } from '../../oauth/form/form-params.js';
import { authorizationParameters } from '../../oauth/authorization/authorization-parameters.js';
import { AuthorizationPipeline } from '../../oauth/authorization/authorization-pipeline.js';
import { type InteractionContext, setInteractionContext } from '../interaction-context.js';
import { LoginSessionsService } from '../login-sessions.service.js';
import { FORM_CSRF_COOKIE, SESSION_COOKIE } from '../session-cookie.js';
import { checkFormOrigin, postedForm } from './form-checks.js';

/**
 * The form's CSRF token equals its cookie (double submit) and is signed for logging in:
 * the login form and its second step, before there is a login session to bind a token to.
 */
export function checkLoginCsrf(csrf: CsrfTokens, form: FormParams, cookies: RequestCookies): void {
  const submitted = form.get('csrf_token');
  const cookie = cookies.one(FORM_CSRF_COOKIE);
  if (submitted === undefined || cookie === undefined || !sameToken(submitted, cookie) || !csrf.verify(submitted, LOGIN_BINDING)) {
    throw forbidden('the form\'s CSRF token is missing or not valid: reload the page and try again');
  }
}

/**
 * What the login form's post and its second step are checked for before a password or
 * code is looked at: posted from Tessera's own page, with the login CSRF token, and
 * carrying an authorization request that passes every check again (the form's hidden
 * fields are the user's to change).
 */
@Injectable()
export class LoginFormCheck {
  private readonly issuerOrigin: string;

  constructor(
    private readonly csrf: CsrfTokens,
    private readonly pipeline: AuthorizationPipeline,
    private readonly sessions: LoginSessionsService,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.issuerOrigin = new URL(config.issuer).origin;
  }

  async check(request: FastifyRequest): Promise<InteractionContext> {
    checkFormOrigin(request, this.issuerOrigin);
    const form = postedForm(request.body);
    const cookies = RequestCookies.from(request.headers.cookie);
    checkLoginCsrf(this.csrf, form, cookies);
    const authorization = await this.pipeline.run(authorizationParameters(form));
    const session = await this.sessions.current(cookies.one(SESSION_COOKIE));
    const context = { request: authorization, session, form };
    setInteractionContext(request, context);
    return context;
  }
}
