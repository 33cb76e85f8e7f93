import { Controller, Get, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestCookies } from '../../browser/cookies.js';
import { CsrfTokens } from '../../browser/csrf-tokens.js';
import { forbidden } from '../../browser/request-checks.js';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { OAuthError } from '../../oauth/errors/oauth-error.js';
import { FormParams } from '../../oauth/form/form-params.js';
import { UsersService } from '../../users/users.service.js';
import { checkFormOrigin, postedForm } from '../guards/form-checks.js';
import { InteractionErrorFilter } from '../interaction-error.filter.js';
import { InteractionPages } from '../interaction-pages.service.js';
import type { LoginSession } from '../login-session.js';
import { LoginSessionsService } from '../login-sessions.service.js';
import { PageOperation } from '../page-operation.js';
import { SESSION_COOKIE } from '../session-cookie.js';
import { LogoutPipeline } from './logout-pipeline.js';
import { carriedFields, LOGOUT_PARAMETERS, type LogoutRequest, logoutStep, postLogoutLocation } from './logout-request.js';
import { LogoutService } from './logout.service.js';

const LOGOUT_DOC = {
  page: 'the confirmation page (no id_token_hint of the current session), or the signed-out page',
  location: 'the registered post_logout_redirect_uri, with state',
};

/**
 * OpenID Connect RP-Initiated Logout 1.0: the end_session_endpoint (§2, GET and POST) and
 * the post of its confirmation page. Every error is Tessera's error page, never a redirect.
 */
@ApiTags('openid-connect')
@Controller()
@UseFilters(InteractionErrorFilter)
export class LogoutController {
  private readonly issuerOrigin: string;
  private readonly endpoint: string;

  constructor(
    private readonly pipeline: LogoutPipeline,
    private readonly sessions: LoginSessionsService,
    private readonly logouts: LogoutService,
    private readonly users: UsersService,
    private readonly pages: InteractionPages,
    private readonly csrf: CsrfTokens,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.issuerOrigin = new URL(config.issuer).origin;
    this.endpoint = `${config.issuer}/oauth/logout`;
  }

  @Get('oauth/logout')
  @PageOperation({ summary: 'End the Tessera login session (OpenID Connect RP-Initiated Logout 1.0)', redirect: 302, ...LOGOUT_DOC })
  async logoutByGet(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const mark = request.url.indexOf('?');
    const params = FormParams.parse(mark === -1 ? '' : request.url.slice(mark + 1));
    const logout = await this.pipeline.run(params);
    await this.logout(request, reply, logout, await this.currentSession(request), false);
  }

  @Post('oauth/logout')
  @PageOperation({ summary: 'End the Tessera login session with a form post (RP-Initiated Logout 1.0 §2)', redirect: 303, ...LOGOUT_DOC })
  async logoutByPost(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const params = postedForm(request.body);
    const logout = await this.pipeline.run(params);
    // An RP's cross-site form post carries no SameSite=Lax session cookie, so this browser's
    // session cannot be seen here: the same request goes on as a top-level GET, which does.
    const session = await this.currentSession(request);
    if (!session) return this.pages.redirect(reply, this.asGet(params), true);
    await this.logout(request, reply, logout, session, true);
  }

  /** The confirmation: from Tessera's own page, in the session it was shown in, with its CSRF token. */
  @Post('interaction/logout')
  @PageOperation({ summary: 'The logout confirmation form\'s post', description: 'logout=yes ends the session.', redirect: 303, ...LOGOUT_DOC })
  async confirm(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    checkFormOrigin(request, this.issuerOrigin);
    const form = postedForm(request.body);
    const session = await this.currentSession(request);
    const token = form.get('csrf_token');
    if (session && (token === undefined || !this.csrf.verify(token, { kind: 'logout', sessionId: session.id }))) {
      throw forbidden('the form\'s CSRF token is missing or not valid: reload the page and try again');
    }
    if (form.get('logout') !== 'yes') throw OAuthError.invalidRequest('logout must be yes');
    // The hidden fields are the user's to change: the client and its URI are checked again.
    const logout = await this.pipeline.run(form);
    await this.finish(request, reply, logout, session, true);
  }

  private async logout(request: FastifyRequest, reply: FastifyReply, logout: LogoutRequest, session: LoginSession | undefined, posted: boolean): Promise<void> {
    if (logoutStep(logout.hint, session) === 'confirm') return this.askToConfirm(reply, logout, session!);
    await this.finish(request, reply, logout, session, posted);
  }

  private async askToConfirm(reply: FastifyReply, logout: LogoutRequest, session: LoginSession): Promise<void> {
    const user = await this.users.findById(session.userId);
    this.pages.logoutConfirmation(
      reply,
      { clientId: logout.client?.id, username: user?.username, carried: carriedFields(logout), target: logout.postLogoutRedirectUri },
      session,
    );
  }

  /** Ends the session (if any), then back to the client (§3) or the signed-out page. */
  private async finish(request: FastifyRequest, reply: FastifyReply, logout: LogoutRequest, session: LoginSession | undefined, posted: boolean): Promise<void> {
    if (session) await this.logouts.end(session, { clientId: logout.client?.id, ip: request.ip });
    this.pages.clearSession(reply);
    const location = postLogoutLocation(logout);
    if (location) return this.pages.redirect(reply, location, posted);
    this.pages.signedOut(reply);
  }

  /** The end_session_endpoint with the logout parameters of a form, as a query. */
  private asGet(params: FormParams): string {
    const query = new URLSearchParams();
    for (const name of LOGOUT_PARAMETERS) {
      const value = params.get(name);
      if (value !== undefined) query.set(name, value);
    }
    return `${this.endpoint}?${query.toString()}`;
  }

  private currentSession(request: FastifyRequest): Promise<LoginSession | undefined> {
    return this.sessions.current(RequestCookies.from(request.headers.cookie).one(SESSION_COOKIE));
  }
}
