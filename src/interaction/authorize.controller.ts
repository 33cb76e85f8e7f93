import { Controller, Get, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestCookies } from '../browser/cookies.js';
import { authorizationParameters, queryParameters } from '../oauth/authorization/authorization-parameters.js';
import { AuthorizationPipeline } from '../oauth/authorization/authorization-pipeline.js';
import type { Parameters } from '../oauth/authorization/authorization-request.js';
import { AuthorizationFlow } from './authorization-flow.service.js';
import { InteractionErrorFilter } from './interaction-error.filter.js';
import { InteractionPages } from './interaction-pages.service.js';
import { postedForm } from './guards/form-checks.js';
import { LoginSessionsService } from './login-sessions.service.js';
import { PageOperation } from './page-operation.js';
import { SecondStep } from './second-step.js';
import { FORM_CSRF_COOKIE, SESSION_COOKIE } from './session-cookie.js';

/** RFC 6749 §3.1: the authorization endpoint, by GET and by a form POST. */
@ApiTags('oauth')
@Controller('oauth')
@UseFilters(InteractionErrorFilter)
export class AuthorizeController {
  constructor(
    private readonly pipeline: AuthorizationPipeline,
    private readonly sessions: LoginSessionsService,
    private readonly flow: AuthorizationFlow,
    private readonly pages: InteractionPages,
    private readonly secondStep: SecondStep,
  ) {}

  @Get('authorize')
  @PageOperation({
    summary: 'Start an authorization code flow (RFC 6749 §4.1, PKCE S256 required)',
    description: 'Shows the login or consent page when needed, else redirects with a code.',
    redirect: 302,
  })
  async authorizeByGet(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.authorize(request, reply, queryParameters(request.url), false);
  }

  @Post('authorize')
  @PageOperation({ summary: 'Start an authorization code flow with a form post', redirect: 303 })
  async authorizeByPost(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.authorize(request, reply, authorizationParameters(postedForm(request.body)), true);
  }

  private async authorize(request: FastifyRequest, reply: FastifyReply, params: Parameters, posted: boolean): Promise<void> {
    const authorization = await this.pipeline.run(params);
    const cookies = RequestCookies.from(request.headers.cookie);
    const session = await this.sessions.current(cookies.one(SESSION_COOKIE));
    const outcome = await this.flow.next(authorization, { session });
    if (outcome.kind === 'redirect') return this.pages.redirect(reply, outcome.location, posted);
    if (outcome.kind === 'second-factor') {
      const { userId, amr, id } = outcome.session;
      return this.secondStep.ask(reply, authorization, { userId, methods: amr, loginSessionId: id }, cookies.one(FORM_CSRF_COOKIE));
    }
    if (outcome.kind === 'login') return this.pages.login(reply, authorization, { csrfCookie: cookies.one(FORM_CSRF_COOKIE) });
    this.pages.consent(reply, authorization, outcome.user, outcome.scope, session!);
  }
}
