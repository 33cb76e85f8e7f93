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
import { ApiErrors } from '../http/openapi.js';

/**
 * The cookie transport of CONTRACT "Browser sessions". The refresh token travels only
 * in an HttpOnly cookie; bodies carry the access token alone. Each response that sets
 * a CSRF token also names it in the X-CSRF-Token header, for pages on another origin,
 * which cannot read Tessera's cookies.
 */
@ApiTags('browser sessions')
@ApiErrors(400, 401, 403, 503)
@Controller('auth')
export class BrowserController {
  private readonly refreshPath: string;

  constructor(
    private readonly sessions: BrowserSessionsService,
    private readonly origins: BrowserOrigins,
    private readonly adapterHost: HttpAdapterHost,
    private readonly devices: DeviceCookies,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.refreshPath = refreshCookiePath(config);
  }

  /** A CSRF token for the browser's state: its session's, or one to log in with. */
  @Get('csrf')
  @HttpCode(204)
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
  @ApiErrors(429)
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @UseGuards(BrowserLoginGuard, LocalAuthGuard)
  async login(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Omit<TokenResponse, 'refresh_token'>> {
    const { client, params, replaced, user } = loginContextOf(request);
    if (!user) throw new Error('the local strategy did not run');
    const meta = { ip: request.ip, userAgent: request.headers['user-agent'], requestId: request.id };
    const grant = await this.sessions.login(user, client, params.scope, meta, replaced);
    // This browser proved the password: its later attempts for this user have a budget of their own.
    const device = this.devices.issue(user.username);
    this.setCookies(reply, [deviceCookie(device.value, device.maxAge)]);
    return this.deliver(reply, grant);
  }

  @Post('refresh')
  @HttpCode(200)
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
