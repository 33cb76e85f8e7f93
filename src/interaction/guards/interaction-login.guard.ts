import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { setLoginContext } from '../../browser/browser-context.js';
import { CsrfTokens } from '../../browser/csrf-tokens.js';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { authorizationParameters } from '../../oauth/authorization/authorization-parameters.js';
import { AuthorizationPipeline } from '../../oauth/authorization/authorization-pipeline.js';
import { OAuthError } from '../../oauth/errors/oauth-error.js';
import { passwordWithinLimit } from '../../users/users.service.js';
import { setInteractionContext } from '../interaction-context.js';
import { LoginSessionsService } from '../login-sessions.service.js';
import { SESSION_COOKIE } from '../session-cookie.js';
import { checkLoginForm } from './session-form.js';

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
    const { form, cookies } = checkLoginForm(request, this.csrf, this.issuerOrigin);
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
