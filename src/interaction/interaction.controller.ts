import { Controller, Inject, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { loginContextOf } from '../browser/browser-context.js';
import { RequestCookies } from '../browser/cookies.js';
import { CsrfTokens } from '../browser/csrf-tokens.js';
import { LocalAuthGuard } from '../browser/guards/local-auth.guard.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { PasskeyOptionsOperation, sendOptions } from '../passkeys/passkey-operation.js';
import { invalidRequest } from '../oauth/authorization/authorization-error.js';
import { SecondFactorChallenges } from '../second-factor/second-factor-challenges.service.js';
import { SecondFactorService } from '../second-factor/second-factor.service.js';
import type { User } from '../users/user.js';
import { UsersService } from '../users/users.service.js';
import { PASSWORD_ONLY } from './authentication-methods.js';
import { AuthorizationFlow, type FlowOutcome } from './authorization-flow.service.js';
import { InteractionConsentGuard } from './guards/interaction-consent.guard.js';
import { InteractionLoginGuard } from './guards/interaction-login.guard.js';
import { InteractionSecondFactorGuard } from './guards/interaction-second-factor.guard.js';
import { checkLoginForm } from './guards/session-form.js';
import { type InteractionContext, interactionContextOf } from './interaction-context.js';
import { InteractionErrorFilter } from './interaction-error.filter.js';
import { InteractionPages } from './interaction-pages.service.js';
import { LoginSessionsService } from './login-sessions.service.js';
import { PageOperation } from './page-operation.js';
import { answerOf, CHALLENGE_EXPIRED, NO_FACTORS, NO_PASSKEY_STEP, SecondStep, throttledMessage, wrongAnswer } from './second-step.js';
import { FORM_CSRF_COOKIE, SECOND_FACTOR_COOKIE, secondFactorCookie, sessionCookie } from './session-cookie.js';

/** The posts of the login and consent pages; each continues the authorization request it carries. */
@ApiTags('oauth')
@Controller('interaction')
@UseFilters(InteractionErrorFilter)
export class InteractionController {
  private readonly issuerOrigin: string;

  constructor(
    private readonly sessions: LoginSessionsService,
    private readonly flow: AuthorizationFlow,
    private readonly pages: InteractionPages,
    private readonly users: UsersService,
    private readonly factors: SecondFactorService,
    private readonly challenges: SecondFactorChallenges,
    private readonly secondStep: SecondStep,
    private readonly csrf: CsrfTokens,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.issuerOrigin = new URL(config.issuer).origin;
  }

  /**
   * The password goes through the passport-local strategy (LocalAuthGuard): throttle, argon2, no user enumeration.
   * A user with a second factor is asked for it next; nothing is logged in before that.
   */
  @Post('login')
  @UseGuards(InteractionLoginGuard, LocalAuthGuard)
  @PageOperation({ summary: 'The login form\'s post', description: 'A wrong password shows the form again with one message; a user with TOTP or a passkey gets the second step.', redirect: 303 })
  async login(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const context = this.context(request);
    const user = loginContextOf(request).user!;
    if (await this.factors.hasSecondFactor(user.id)) {
      return this.secondStep.ask(reply, context.request, { userId: user.id, methods: PASSWORD_ONLY }, csrfCookieOf(request));
    }
    await this.loggedIn(request, reply, context, user, PASSWORD_ONLY);
  }

  /** code: a TOTP code or a recovery code, or credential: a passkey's assertion, for the challenge the second-factor cookie names. */
  @Post('second-factor')
  @UseGuards(InteractionSecondFactorGuard)
  @PageOperation({ summary: 'The second step\'s post (code=<TOTP or recovery code>, or credential=<PublicKeyCredential JSON>)', description: 'A wrong code or passkey shows the step again; too many answer 429.', redirect: 303 })
  async secondFactor(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const context = this.context(request);
    const csrfCookie = csrfCookieOf(request);
    const token = RequestCookies.from(request.headers.cookie).one(SECOND_FACTOR_COOKIE);
    const answer = answerOf(context.form, request.ip);
    const outcome = await this.challenges.complete(token, answer);
    if (outcome.kind === 'wrong' || outcome.kind === 'throttled') {
      const factors = (await this.challenges.factorsOf(token)) ?? NO_FACTORS;
      if (outcome.kind === 'wrong') return this.pages.secondFactor(reply, context.request, factors, { status: 400, message: wrongAnswer(answer), csrfCookie });
      void reply.header('retry-after', String(outcome.retryAfter));
      return this.pages.secondFactor(reply, context.request, factors, { status: 429, message: throttledMessage(outcome.retryAfter), csrfCookie });
    }
    const user = outcome.kind === 'proven' ? await this.users.findById(outcome.userId) : undefined;
    // A step-up adds to the session it was asked in, and to no other.
    const bound = outcome.kind === 'proven' && (outcome.loginSessionId === null || outcome.loginSessionId === context.session?.id);
    if (outcome.kind !== 'proven' || !user || user.disabledAt || !bound) {
      this.pages.setCookies(reply, [secondFactorCookie('', 0)]);
      return this.pages.login(reply, context.request, { status: 400, message: CHALLENGE_EXPIRED, csrfCookie });
    }
    this.pages.setCookies(reply, [secondFactorCookie('', 0)]);
    await this.loggedIn(request, reply, context, user, outcome.amr);
  }

  /** The passkey form's script asks for WebAuthn options for the challenge the second-factor cookie names. */
  @Post('second-factor/passkey-options')
  @PasskeyOptionsOperation('WebAuthn options for a passkey as the second step: the user\'s credentials, the challenge bound to the pending login')
  async secondFactorPasskeyOptions(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { cookies } = checkLoginForm(request, this.csrf, this.issuerOrigin);
    const options = await this.challenges.passkeyOptions(cookies.one(SECOND_FACTOR_COOKIE));
    if (!options) throw OAuthError.invalidRequest(NO_PASSKEY_STEP);
    sendOptions(reply, options);
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
    await this.send(request, reply, context, outcome, context.session);
  }

  /** Every factor the user has is proven: the login session records `amr`, and the flow goes on. */
  private async loggedIn(request: FastifyRequest, reply: FastifyReply, context: InteractionContext, user: User, amr: readonly string[]): Promise<void> {
    const started = await this.sessions.proven({ user, previous: context.session, request, amr, method: 'password', clientId: context.request.client.id });
    this.pages.setCookies(reply, [sessionCookie(started.token, started.maxAge)]);
    const outcome = await this.flow.next(context.request, { session: started.session, freshLogin: true });
    await this.send(request, reply, context, outcome, started.session);
  }

  private context(request: FastifyRequest): InteractionContext {
    const context = interactionContextOf(request);
    if (!context) throw new Error('the interaction guard did not run');
    return context;
  }

  private async send(request: FastifyRequest, reply: FastifyReply, context: InteractionContext, outcome: FlowOutcome, session: InteractionContext['session']): Promise<void> {
    if (outcome.kind === 'redirect') return this.pages.redirect(reply, outcome.location, true);
    if (outcome.kind === 'second-factor') {
      const { userId, amr, id } = outcome.session;
      return this.secondStep.ask(reply, context.request, { userId, methods: amr, loginSessionId: id }, csrfCookieOf(request));
    }
    if (outcome.kind === 'login' || !session) return this.pages.login(reply, context.request);
    this.pages.consent(reply, context.request, outcome.user, outcome.scope, session);
  }
}

function csrfCookieOf(request: FastifyRequest): string | undefined {
  return RequestCookies.from(request.headers.cookie).one(FORM_CSRF_COOKIE);
}
