import { Controller, Inject, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CsrfTokens } from '../browser/csrf-tokens.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { AuthorizationFlow } from '../interaction/authorization-flow.service.js';
import { checkLoginForm } from '../interaction/guards/session-form.js';
import { setInteractionContext } from '../interaction/interaction-context.js';
import { InteractionErrorFilter } from '../interaction/interaction-error.filter.js';
import { InteractionPages } from '../interaction/interaction-pages.service.js';
import { LoginSessionsService } from '../interaction/login-sessions.service.js';
import { PageOperation } from '../interaction/page-operation.js';
import { SESSION_COOKIE, sessionCookie } from '../interaction/session-cookie.js';
import { authorizationParameters } from '../oauth/authorization/authorization-parameters.js';
import { AuthorizationPipeline } from '../oauth/authorization/authorization-pipeline.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { DEVICE_COOKIE } from '../throttle/device-cookies.js';
import { PasskeyOptionsOperation, sendOptions } from './passkey-operation.js';
import { passkeyAmr } from './passkey.js';
import { PasskeySignIn } from './passkey-sign-in.service.js';

export const PASSKEY_REFUSED = 'This passkey could not sign you in. Try again, or sign in with your password.';

/**
 * Passwordless sign-in on the login page of /oauth/authorize (WebAuthn §7.2), beside the
 * password form: the page's script asks for options, the authenticator signs, and the
 * script posts the login form's hidden fields with the credential. From there it is the
 * password login's path: a login session, the audit record, the authorization going on.
 */
@ApiTags('oauth')
@Controller('interaction/passkey')
@UseFilters(InteractionErrorFilter)
export class PasskeyLoginController {
  private readonly issuerOrigin: string;

  constructor(
    private readonly signIns: PasskeySignIn,
    private readonly csrf: CsrfTokens,
    private readonly pipeline: AuthorizationPipeline,
    private readonly sessions: LoginSessionsService,
    private readonly flow: AuthorizationFlow,
    private readonly pages: InteractionPages,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.issuerOrigin = new URL(config.issuer).origin;
  }

  @Post('options')
  @PasskeyOptionsOperation('WebAuthn options for a passkey sign-in, the challenge bound to this browser\'s login form')
  async options(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { form } = checkLoginForm(request, this.csrf, this.issuerOrigin);
    const token = form.get('csrf_token')!;
    sendOptions(reply, await this.signIns.options(token));
  }

  /** The form's fields, csrf_token and credential (the PublicKeyCredential as JSON, §5.1.8). */
  @Post()
  @PageOperation({ summary: 'The passkey sign-in\'s post', description: 'A refused passkey shows the login page again with one message.', redirect: 303 })
  async signIn(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { form, cookies } = checkLoginForm(request, this.csrf, this.issuerOrigin);
    // Checked: present, equal to its cookie and signed; it names this browser's login form.
    const token = form.get('csrf_token')!;
    const authorization = await this.pipeline.run(authorizationParameters(form));
    const previous = await this.sessions.current(cookies.one(SESSION_COOKIE));
    setInteractionContext(request, { request: authorization, session: previous, form });
    const attempt = { formToken: token, credential: form.get('credential'), ip: request.ip, clientId: authorization.client.id, deviceCookie: cookies.only(DEVICE_COOKIE) };
    let result;
    try {
      result = await this.signIns.signIn(attempt);
    } catch (error) {
      if (!(error instanceof OAuthError) || error.status !== 429) throw error;
      void reply.headers(error.headers);
      return this.pages.login(reply, authorization, { status: 429, message: error.description, csrfCookie: token });
    }
    if (!result.ok) return this.pages.login(reply, authorization, { status: 400, message: PASSKEY_REFUSED, csrfCookie: token });
    // RFC 8176: the login session records what a passkey proves (a key and the user verification behind it).
    const started = await this.sessions.proven({ user: result.user, previous, request, amr: passkeyAmr(result.passkey), method: 'passkey', clientId: authorization.client.id });
    this.pages.setCookies(reply, [sessionCookie(started.token, started.maxAge)]);
    const outcome = await this.flow.next(authorization, { session: started.session, freshLogin: true });
    if (outcome.kind === 'redirect') return this.pages.redirect(reply, outcome.location, true);
    // A passkey login is already multi-factor (passkeyAmr), so no step-up follows it.
    if (outcome.kind === 'login' || outcome.kind === 'second-factor') return this.pages.login(reply, authorization);
    this.pages.consent(reply, authorization, outcome.user, outcome.scope, started.session);
  }
}
