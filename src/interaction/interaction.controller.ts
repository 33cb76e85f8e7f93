import { Controller, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditService } from '../audit/audit.service.js';
import { loginContextOf } from '../browser/browser-context.js';
import { LocalAuthGuard } from '../browser/guards/local-auth.guard.js';
import { invalidRequest } from '../oauth/authorization/authorization-error.js';
import { AuthorizationFlow, type FlowOutcome } from './authorization-flow.service.js';
import { InteractionConsentGuard } from './guards/interaction-consent.guard.js';
import { InteractionLoginGuard } from './guards/interaction-login.guard.js';
import { type InteractionContext, interactionContextOf } from './interaction-context.js';
import { InteractionErrorFilter } from './interaction-error.filter.js';
import { InteractionPages } from './interaction-pages.service.js';
import { LoginSessionsService } from './login-sessions.service.js';
import { PageOperation } from './page-operation.js';
import { sessionCookie } from './session-cookie.js';

/** The posts of the login and consent pages; each continues the authorization request it carries. */
@ApiTags('oauth')
@Controller('interaction')
@UseFilters(InteractionErrorFilter)
export class InteractionController {
  constructor(
    private readonly sessions: LoginSessionsService,
    private readonly flow: AuthorizationFlow,
    private readonly pages: InteractionPages,
    private readonly audit: AuditService,
  ) {}

  /** The password goes through the passport-local strategy (LocalAuthGuard): throttle, argon2, no user enumeration. */
  @Post('login')
  @UseGuards(InteractionLoginGuard, LocalAuthGuard)
  @PageOperation({ summary: 'The login form\'s post', description: 'A wrong password shows the form again with one message.', redirect: 303 })
  async login(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const context = this.context(request);
    const user = loginContextOf(request).user!;
    const started = await this.sessions.loggedIn(user, context.session, { ip: request.ip, userAgent: request.headers['user-agent'] });
    this.pages.setCookies(reply, [sessionCookie(started.token, started.maxAge)]);
    await this.audit.record({ type: 'login_succeeded', userId: user.id, clientId: context.request.client.id, ip: request.ip });
    const outcome = await this.flow.next(context.request, { session: started.session, freshLogin: true });
    this.send(reply, context, outcome, started.session);
  }

  @Post('consent')
  @UseGuards(InteractionConsentGuard)
  @PageOperation({ summary: 'The consent form\'s post', description: 'decision=allow remembers the consent; deny answers access_denied.', redirect: 303 })
  async consent(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const context = this.context(request);
    const decision = context.form.get('decision');
    if (decision === 'deny') this.flow.denied(context.request);
    if (decision !== 'allow') throw invalidRequest('decision must be allow or deny');
    const outcome = context.session
      ? await this.flow.allow(context.request, context.session)
      : await this.flow.next(context.request, { session: undefined });
    this.send(reply, context, outcome, context.session);
  }

  private context(request: FastifyRequest): InteractionContext {
    const context = interactionContextOf(request);
    if (!context) throw new Error('the interaction guard did not run');
    return context;
  }

  private send(reply: FastifyReply, context: InteractionContext, outcome: FlowOutcome, session: InteractionContext['session']): void {
    if (outcome.kind === 'redirect') return this.pages.redirect(reply, outcome.location, true);
    if (outcome.kind === 'login' || !session) return this.pages.login(reply, context.request);
    this.pages.consent(reply, context.request, outcome.user, outcome.scope, session);
  }
}
