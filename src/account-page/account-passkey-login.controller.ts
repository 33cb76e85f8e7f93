import { Controller, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CsrfTokens } from '../browser/csrf-tokens.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { checkLoginForm } from '../interaction/guards/session-form.js';
import { InteractionErrorFilter } from '../interaction/interaction-error.filter.js';
import { LoginSessionsService } from '../interaction/login-sessions.service.js';
import { SESSION_COOKIE, sessionCookie } from '../interaction/session-cookie.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { PASSKEY_REFUSED } from '../passkeys/passkey-login.controller.js';
import { passkeyAmr } from '../passkeys/passkey.js';
import { PasskeySignIn } from '../passkeys/passkey-sign-in.service.js';
import { DEVICE_COOKIE } from '../throttle/device-cookies.js';
import { AccountOperation } from './account-operation.js';
import { AccountPages } from './account-pages.js';
import { safeReturnTo } from './return-to.js';

/**
 * Passkey sign-in on the account pages' login (/login), then back to `return_to`, as the
 * password's. Its options come from /interaction/passkey/options: a challenge bound to the
 * browser's login form serves either login page.
 */
@ApiTags('pages')
@Controller('login/passkey')
@UseFilters(InteractionErrorFilter)
export class AccountPasskeyLoginController {
  private readonly issuerOrigin: string;

  constructor(
    private readonly signIns: PasskeySignIn,
    private readonly loginSessions: LoginSessionsService,
    private readonly csrf: CsrfTokens,
    private readonly pages: AccountPages,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.issuerOrigin = new URL(config.issuer).origin;
  }

  /** return_to, csrf_token and credential (the PublicKeyCredential as JSON, §5.1.8). */
  @Post()
  @AccountOperation({ summary: 'The account login\'s passkey sign-in', description: 'A refused passkey shows the login form again with one message.', page: 'the login form again, with a message' })
  async signIn(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { form, cookies } = checkLoginForm(request, this.csrf, this.issuerOrigin);
    // Checked: present, equal to its cookie and signed; it names this browser's login form.
    const token = form.get('csrf_token')!;
    const returnTo = safeReturnTo(form.get('return_to'), this.pages.base);
    let result;
    try {
      result = await this.signIns.signIn({ formToken: token, credential: form.get('credential'), ip: request.ip, deviceCookie: cookies.only(DEVICE_COOKIE) });
    } catch (error) {
      if (!(error instanceof OAuthError) || error.status !== 429) throw error;
      void reply.headers(error.headers);
      return this.pages.login(reply, cookies, returnTo, { status: 429, message: error.description });
    }
    if (!result.ok) return this.pages.login(reply, cookies, returnTo, { status: 400, message: PASSKEY_REFUSED });
    const previous = await this.loginSessions.current(cookies.one(SESSION_COOKIE));
    // RFC 8176: the login session records what a passkey proves (a key and the user verification behind it).
    const started = await this.loginSessions.proven({ user: result.user, previous, request, amr: passkeyAmr(result.passkey), method: 'passkey' });
    this.pages.setCookies(reply, [sessionCookie(started.token, started.maxAge)]);
    this.pages.redirect(reply, returnTo);
  }
}
