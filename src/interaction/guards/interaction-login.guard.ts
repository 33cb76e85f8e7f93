import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { setLoginContext } from '../../browser/browser-context.js';
import { RequestCookies } from '../../browser/cookies.js';
import { CsrfTokens, LOGIN_BINDING, sameToken } from '../../browser/csrf-tokens.js';
import { forbidden } from '../../browser/request-checks.js';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { authorizationParameters } from '../../oauth/authorization/authorization-parameters.js';
import { AuthorizationPipeline } from '../../oauth/authorization/authorization-pipeline.js';
import { OAuthError } from '../../oauth/errors/oauth-error.js';
import { passwordWithinLimit } from '../../users/users.service.js';
import { setInteractionContext } from '../interaction-context.js';
import { LoginSessionsService } from '../login-sessions.service.js';
import { FORM_CSRF_COOKIE, SESSION_COOKIE } from '../session-cookie.js';
import { checkFormOrigin, postedForm } from './form-checks.js';

/**
 * Everything the login form's post is checked for before LocalAuthGuard looks at the
 * password: posted from Tessera's own page, with the CSRF token of the form equal to
 * its cookie and signed for logging in, and carrying an authorization request that
 * passes every check again (the form's hidden fields are the user's to change).
 */
@Injectable()
export class InteractionLoginGuard implements CanActivate {
  private readonly issuerOrigin: string;

  constructor(
    private readonly csrf: CsrfTokens,
    private readonly pipeline: AuthorizationPipeline,
    private readonly sessions: LoginSessionsService,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.issuerOrigin = new URL(config.issuer).origin;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    checkFormOrigin(request, this.issuerOrigin);
    const form = postedForm(request.body);
    const cookies = RequestCookies.from(request.headers.cookie);
    const submitted = form.get('csrf_token');
    const cookie = cookies.one(FORM_CSRF_COOKIE);
    if (submitted === undefined || cookie === undefined || !sameToken(submitted, cookie) || !this.csrf.verify(submitted, LOGIN_BINDING)) {
      throw forbidden('the form\'s CSRF token is missing or not valid: reload the page and try again');
    }
    const authorization = await this.pipeline.run(authorizationParameters(form));
    const session = await this.sessions.current(cookies.one(SESSION_COOKIE));
    setInteractionContext(request, { request: authorization, session, form });
    const username = form.get('username');
    const password = form.get('password');
    if (username === undefined || password === undefined) throw OAuthError.invalidRequest('enter your username and password');
    if (!passwordWithinLimit(password)) throw OAuthError.invalidGrant('invalid username or password');
    setLoginContext(request, {
      client: authorization.client,
      params: { username, password, clientId: authorization.client.id, scope: undefined },
      replaced: undefined,
    });
    return true;
  }
}
