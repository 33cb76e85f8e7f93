import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { CsrfTokens } from '../../browser/csrf-tokens.js';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { authorizationParameters } from '../../oauth/authorization/authorization-parameters.js';
import { AuthorizationPipeline } from '../../oauth/authorization/authorization-pipeline.js';
import { type InteractionContext, setInteractionContext } from '../interaction-context.js';
import { LoginSessionsService } from '../login-sessions.service.js';
import { SESSION_COOKIE } from '../session-cookie.js';
import { checkLoginForm } from './session-form.js';

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
    const { form, cookies } = checkLoginForm(request, this.csrf, this.issuerOrigin);
    const authorization = await this.pipeline.run(authorizationParameters(form));
    const session = await this.sessions.current(cookies.one(SESSION_COOKIE));
    const context = { request: authorization, session, form };
    setInteractionContext(request, context);
    return context;
  }
}
