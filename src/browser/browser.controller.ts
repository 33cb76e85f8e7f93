import { SecondFactorService } from '../second-factor/second-factor.service.js';
import { Controller, Get, Header, HttpCode, Inject, Post, Req, Res, UseGuards } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import type { TokenResponse } from '../oauth/token/grant-handler.js';
import { loginContextOf, sessionContextOf } from './browser-context.js';
import { BrowserOrigins } from './browser-origins.service.js';
import { type BrowserGrant, BrowserSessionsService } from './browser-sessions.service.js';
import { DeviceCookies } from '../throttle/device-cookies.js';
import { clearedCookies, type CookieSet, csrfCookie, deviceCookie, RequestCookies, refreshCookie, refreshCookiePath } from './cookies.js';
import { BrowserLoginGuard } from './guards/browser-login.guard.js';
import { BrowserSessionGuard } from './guards/browser-session.guard.js';
import { LocalAuthGuard } from './guards/local-auth.guard.js';
import { CSRF_HEADER, forbidden, sameSiteOrigin } from './request-checks.js';
import { ApiTags } from '@nestjs/swagger';
import { type Failure, Fails } from '../http/api-errors.js';
import { Operation } from '../http/openapi.js';
import { BrowserTokenResponse, LoginForm } from './browser.schemas.js';

const forbidden403 = Fails.other(403, 'access_denied', 'the Origin, Sec-Fetch-Site or CSRF token (X-CSRF-Token header and cookie) is refused');
const SESSION_FAILURES: readonly Failure[] = [forbidden403, Fails.unavailable];

/**
 * The cookie transport of CONTRACT "Browser sessions". The refresh token travels only
 * in an HttpOnly cookie; bodies carry the access token alone. Each response that sets
 * a CSRF token also names it in the X-CSRF-Token header, for pages on another origin,
 * which cannot read Tessera's cookies.
 */
@ApiTags('browser sessions')
@Controller('auth')
export class BrowserController {
  private readonly refreshPath: string;

  constructor(
    private readonly sessions: BrowserSessionsService,
    private readonly origins: BrowserOrigins,
    private readonly adapterHost: HttpAdapterHost,
    private readonly devices: DeviceCookies,
    private readonly secondFactors: SecondFactorService,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.refreshPath = refreshCookiePath(config);
  }

  /** A CSRF token for the browser's state: its session's, or one to log in with. */
  @Get('csrf')
  @HttpCode(204)
  @Operation({
    summary: 'Get a CSRF token (cookie and X-CSRF-Token header)',
    description: "The current session's token, or one to log in with.",
    status: 204,
    fails: SESSION_FAILURES,
  })
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  async csrf(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const origin = sameSiteOrigin(request);
    // A same-origin GET carries no Origin; a cross-origin one must come from a browser client.
    if (origin !== undefined && !(await this.origins.isBrowserOrigin(origin))) {
      throw forbidden('the Origin is not registered for a browser client');
    }
    const cookies = RequestCookies.from(request.headers.cookie);
    const { token, maxAge } = this.sessions.csrfToken(cookies, await this.sessions.resolve(cookies));
    this.setCookies(reply, [csrfCookie(token, maxAge)]);
    reply.header(CSRF_HEADER, token);
  }

  @Post('login')
  @Operation({
    summary: 'Log in: the refresh token goes into an HttpOnly cookie',
    form: LoginForm,
    accepts: ['application/json'],
    returns: BrowserTokenResponse,
    fails: [
      Fails.other(400, 'invalid_request', 'a parameter is missing or not a string, or the body is neither a form nor a JSON object'),
      Fails.other(400, 'invalid_scope', 'scope is malformed or not registered for the client'),
      Fails.other(400, 'unauthorized_client', 'the client is not registered for browser sessions'),
      Fails.other(400, 'invalid_grant', 'wrong username or password; or the user has a second factor: use the authorization code flow'),
      Fails.other(401, 'invalid_client', 'no such client'),
      ...SESSION_FAILURES,
      Fails.tooLarge,
      Fails.throttled,
    ],
  })
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @UseGuards(BrowserLoginGuard, LocalAuthGuard)
  async login(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Omit<TokenResponse, 'refresh_token'>> {
    const { client, params, replaced, user } = loginContextOf(request);
    if (!user) throw new Error('the local strategy did not run');
    // Cookie mode has no second step: a user with a second factor signs in by the code flow.
    await this.secondFactors.requirePasswordOnly(user.id, client.id, request.ip);
    const meta = { ip: request.ip, userAgent: request.headers['user-agent'], requestId: request.id };
    const grant = await this.sessions.login(user, client, params.scope, meta, replaced);
    // This browser proved the password: its later attempts for this user have a budget of their own.
    const device = this.devices.issue(user.username);
    this.setCookies(reply, [deviceCookie(device.value, device.maxAge)]);
    return this.deliver(reply, grant);
  }

  @Post('refresh')
  @HttpCode(200)
  @Operation({
    summary: "Rotate the cookie's refresh token and get a new access token",
    returns: BrowserTokenResponse,
    fails: [Fails.other(400, 'invalid_grant', 'no browser session, or it ended (the cookies are cleared)'), ...SESSION_FAILURES],
  })
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @UseGuards(BrowserSessionGuard)
  async refresh(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Omit<TokenResponse, 'refresh_token'>> {
    const { session, csrfToken } = sessionContextOf(request);
    if (!session || csrfToken === undefined) {
      this.setCookies(reply, clearedCookies(this.refreshPath));
      throw OAuthError.invalidGrant('there is no browser session');
    }
    try {
      return this.deliver(reply, await this.sessions.refresh(session, csrfToken, request.id));
    } catch (error) {
      // The family is over (reuse, expiry, revocation): the browser forgets its cookies.
      if (error instanceof OAuthError && error.code === 'invalid_grant') this.setCookies(reply, clearedCookies(this.refreshPath));
      throw error;
    }
  }

  @Post('logout')
  @HttpCode(204)
  @Operation({ summary: 'Log out: end the session and clear its cookies', status: 204, fails: SESSION_FAILURES })
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @UseGuards(BrowserSessionGuard)
  async logout(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const { session } = sessionContextOf(request);
    if (session) await this.sessions.logout(session);
    this.setCookies(reply, clearedCookies(this.refreshPath));
  }

  private deliver(reply: FastifyReply, grant: BrowserGrant): Omit<TokenResponse, 'refresh_token'> {
    this.setCookies(reply, [refreshCookie(this.refreshPath, grant.refreshToken, grant.maxAge), csrfCookie(grant.csrfToken, grant.maxAge)]);
    reply.header(CSRF_HEADER, grant.csrfToken);
    return grant.body;
  }

  private setCookies(reply: FastifyReply, cookies: readonly CookieSet[]): void {
    const adapter = this.adapterHost.httpAdapter;
    for (const cookie of cookies) adapter.setCookie(reply, cookie.name, cookie.value, cookie.options);
  }
}
