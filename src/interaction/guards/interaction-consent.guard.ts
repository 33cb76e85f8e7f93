import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RequestCookies } from '../../browser/cookies.js';
import { CsrfTokens } from '../../browser/csrf-tokens.js';
import { forbidden } from '../../browser/request-checks.js';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { authorizationParameters } from '../../oauth/authorization/authorization-parameters.js';
import { AuthorizationPipeline } from '../../oauth/authorization/authorization-pipeline.js';
import { setInteractionContext } from '../interaction-context.js';
import { LoginSessionsService } from '../login-sessions.service.js';
import { SESSION_COOKIE } from '../session-cookie.js';
import { checkFormOrigin, postedForm } from './form-checks.js';

/**
 * The consent form's post: from Tessera's own page, in a live login session (its cookie
 * is SameSite=Lax: never sent on a cross-site post), with the CSRF token the page was
 * given for that session, and an authorization request that passes every check again.
 */
@Injectable()
export class InteractionConsentGuard implements CanActivate {
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
    const session = await this.sessions.current(RequestCookies.from(request.headers.cookie).one(SESSION_COOKIE));
    const token = form.get('csrf_token');
    if (session && (token === undefined || !this.csrf.verify(token, { kind: 'login-session', sessionId: session.id }))) {
      throw forbidden('the form\'s CSRF token is missing or not valid: reload the page and try again');
    }
    const authorization = await this.pipeline.run(authorizationParameters(form));
    setInteractionContext(request, { request: authorization, session, form });
    return true;
  }
}
