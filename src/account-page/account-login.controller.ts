import { Controller, Get, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuditService } from '../audit/audit.service.js';
import { RequestCookies } from '../browser/cookies.js';
import { CsrfTokens } from '../browser/csrf-tokens.js';
import { provePassword } from '../browser/guards/local-auth.guard.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { FormParams } from '../oauth/form/form-params.js';
import { DEVICE_COOKIE } from '../throttle/device-cookies.js';
import { LocalStrategy } from '../users/local.strategy.js';
import type { User } from '../users/user.js';
import { passwordWithinLimit, UsersService } from '../users/users.service.js';
import { PASSWORD_ONLY } from '../interaction/authentication-methods.js';
import { checkLoginForm } from '../interaction/guards/session-form.js';
import { answerOf, CHALLENGE_EXPIRED, NO_FACTORS, NO_PASSKEY_STEP, throttledMessage, wrongAnswer } from '../interaction/second-step.js';
import { PasskeyOptionsOperation, sendOptions } from '../passkeys/passkey-operation.js';
import { SecondFactorChallenges } from '../second-factor/second-factor-challenges.service.js';
import { anySecondFactor, SecondFactorService } from '../second-factor/second-factor.service.js';
import { InteractionErrorFilter } from '../interaction/interaction-error.filter.js';
import { LoginSessionsService } from '../interaction/login-sessions.service.js';
import { SECOND_FACTOR_COOKIE, SESSION_COOKIE, secondFactorCookie, sessionCookie } from '../interaction/session-cookie.js';
import { AccountOperation } from './account-operation.js';
import { AccountPages } from './account-pages.js';
import { safeReturnTo } from './return-to.js';

const WRONG_CREDENTIALS = 'Wrong username or password.';

/**
 * Tessera's login for its own pages (the account page), not tied to an authorization
 * request: the same form, CSRF token, throttle and passport-local strategy as the login
 * page of /oauth/authorize, then back to `return_to`, a path of this server only.
 */
@ApiTags('pages')
@Controller('login')
@UseFilters(InteractionErrorFilter)
export class AccountLoginController {
  private readonly issuerOrigin: string;

  constructor(
    private readonly loginSessions: LoginSessionsService,
    private readonly strategy: LocalStrategy,
    private readonly csrf: CsrfTokens,
    private readonly audit: AuditService,
    private readonly pages: AccountPages,
    private readonly factors: SecondFactorService,
    private readonly challenges: SecondFactorChallenges,
    private readonly users: UsersService,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.issuerOrigin = new URL(config.issuer).origin;
  }

  @Get()
  @AccountOperation({ summary: 'The login page of Tessera\'s own pages (return_to=<path on this server>)', page: 'the login form' })
  async show(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const cookies = RequestCookies.from(request.headers.cookie);
    const returnTo = safeReturnTo(queryOf(request.url).get('return_to'), this.pages.base);
    if (await this.loginSessions.current(cookies.one(SESSION_COOKIE))) return this.pages.redirect(reply, returnTo);
    this.pages.login(reply, cookies, returnTo);
  }

  @Post()
  @AccountOperation({ summary: 'The account login form\'s post', description: 'A wrong password shows the form again with one message.', page: 'the login form again, with a message' })
  async login(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { form, cookies } = checkLoginForm(request, this.csrf, this.issuerOrigin);
    const returnTo = safeReturnTo(form.get('return_to'), this.pages.base);
    const user = await this.prove(request, reply, cookies, form);
    if (user === 'answered') return;
    if (!user) {
      await this.audit.record({ type: 'login_failed', ip: request.ip });
      return this.pages.login(reply, cookies, returnTo, { status: 400, message: WRONG_CREDENTIALS, username: form.get('username') });
    }
    const factors = await this.factors.factorsOf(user.id);
    if (anySecondFactor(factors)) {
      const begun = await this.challenges.begin(user.id, PASSWORD_ONLY);
      this.pages.setCookies(reply, [secondFactorCookie(begun.token, begun.maxAge)]);
      return this.pages.secondFactor(reply, cookies, returnTo, factors);
    }
    await this.loggedIn(request, reply, cookies, user, PASSWORD_ONLY);
    this.pages.redirect(reply, returnTo);
  }

  /** code: a TOTP or recovery code, or credential: a passkey's assertion, for the challenge of the second-factor cookie; then back to return_to. */
  @Post('second-factor')
  @AccountOperation({ summary: 'The second step of the account login (code=<TOTP or recovery code>, or credential=<PublicKeyCredential JSON>)', page: 'the step again, with a message' })
  async secondFactor(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { form, cookies } = checkLoginForm(request, this.csrf, this.issuerOrigin);
    const returnTo = safeReturnTo(form.get('return_to'), this.pages.base);
    const token = cookies.one(SECOND_FACTOR_COOKIE);
    const answer = answerOf(form, request.ip);
    const outcome = await this.challenges.complete(token, answer);
    if (outcome.kind === 'wrong' || outcome.kind === 'throttled') {
      const factors = (await this.challenges.factorsOf(token)) ?? NO_FACTORS;
      if (outcome.kind === 'wrong') return this.pages.secondFactor(reply, cookies, returnTo, factors, { status: 400, message: wrongAnswer(answer) });
      void reply.header('retry-after', String(outcome.retryAfter));
      return this.pages.secondFactor(reply, cookies, returnTo, factors, { status: 429, message: throttledMessage(outcome.retryAfter) });
    }
    this.pages.setCookies(reply, [secondFactorCookie('', 0)]);
    const user = outcome.kind === 'proven' && outcome.loginSessionId === null ? await this.users.findById(outcome.userId) : undefined;
    if (outcome.kind !== 'proven' || !user || user.disabledAt) return this.pages.login(reply, cookies, returnTo, { status: 400, message: CHALLENGE_EXPIRED });
    await this.loggedIn(request, reply, cookies, user, outcome.amr);
    this.pages.redirect(reply, returnTo);
  }

  /** The passkey form's script asks for WebAuthn options for the challenge of the second-factor cookie. */
  @Post('second-factor/passkey-options')
  @PasskeyOptionsOperation('WebAuthn options for a passkey as the account login\'s second step')
  async secondFactorPasskeyOptions(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { cookies } = checkLoginForm(request, this.csrf, this.issuerOrigin);
    const options = await this.challenges.passkeyOptions(cookies.one(SECOND_FACTOR_COOKIE));
    if (!options) throw OAuthError.invalidRequest(NO_PASSKEY_STEP);
    sendOptions(reply, options);
  }

  private async loggedIn(request: FastifyRequest, reply: FastifyReply, cookies: RequestCookies, user: User, amr: readonly string[]): Promise<void> {
    const previous = await this.loginSessions.current(cookies.one(SESSION_COOKIE));
    const started = await this.loginSessions.proven({ user, previous, request, amr, method: 'password' });
    this.pages.setCookies(reply, [sessionCookie(started.token, started.maxAge)]);
  }

  /** passport-local through the login throttle; its 429 is the form again, with its Retry-After. */
  private async prove(request: FastifyRequest, reply: FastifyReply, cookies: RequestCookies, form: FormParams): Promise<User | false | 'answered'> {
    const username = form.get('username');
    const password = form.get('password');
    if (username === undefined || password === undefined || !passwordWithinLimit(password)) return false;
    try {
      return await provePassword(this.strategy, { username, password, ip: request.ip, deviceCookie: cookies.only(DEVICE_COOKIE) }, reply);
    } catch (error) {
      if (!(error instanceof OAuthError) || error.status !== 429) throw error;
      void reply.headers(error.headers);
      this.pages.login(reply, cookies, safeReturnTo(form.get('return_to'), this.pages.base), { status: 429, message: error.description, username });
      return 'answered';
    }
  }
}

function queryOf(url: string): FormParams {
  const mark = url.indexOf('?');
  return FormParams.parse(mark === -1 ? '' : url.slice(mark + 1));
}
