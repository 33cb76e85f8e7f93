import { Controller, Get, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestCookies } from '../browser/cookies.js';
import { InteractionErrorFilter } from '../interaction/interaction-error.filter.js';
import { LoginSessionsService } from '../interaction/login-sessions.service.js';
import { LogoutService } from '../interaction/logout/logout.service.js';
import { clearedSessionCookie, SESSION_COOKIE } from '../interaction/session-cookie.js';
import { FormParams } from '../oauth/form/form-params.js';
import { ConsoleFormGuard, consoleFormOf } from './console-form.guard.js';
import { ConsoleOperation } from './console-operation.js';
import { ConsolePages } from './console-pages.js';
import { type ConsoleAdmin, ConsoleSignIn } from './console-sign-in.service.js';

const TO_SIGN_IN = 'to Tessera\'s /oauth/authorize (sign in), or to the users page';

/**
 * The admin console's entry, callback and sign-out (CONTRACT "Admin console"): the
 * console is a client of Tessera's own authorization code flow.
 */
@ApiTags('console')
@Controller('console')
@UseFilters(InteractionErrorFilter)
export class ConsoleController {
  constructor(
    private readonly signIn: ConsoleSignIn,
    private readonly pages: ConsolePages,
    private readonly loginSessions: LoginSessionsService,
    private readonly logouts: LogoutService,
  ) {}

  @Get()
  @ConsoleOperation({ summary: 'The admin console: signs in, then the users page', page: 'the users page, once signed in (after the redirect)', redirect: TO_SIGN_IN })
  async open(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const admin = await signedIn(this.signIn, this.pages, request, reply);
    if (admin) this.pages.redirect(reply, `${this.pages.base}/console/users`, undefined, 302);
  }

  @Get('callback')
  @ConsoleOperation({ summary: 'The console\'s redirect URI (code, state, iss)', page: 'the users page (after the redirect), or the 403 page for a user who is not an admin', redirect: 'to the users page' })
  async callback(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const cookies = RequestCookies.from(request.headers.cookie);
    const finished = await this.signIn.finish(cookies.one(this.signIn.cookie.name), queryOf(request.url), { ip: request.ip, userAgent: request.headers['user-agent'] });
    if (finished.kind === 'not-admin') return this.pages.forbidden(reply, [this.signIn.cookie.cleared()]);
    this.pages.setCookies(reply, [this.signIn.cookie.set(finished.token, finished.maxAge)]);
    this.pages.redirect(reply, `${this.pages.base}/console/users`, undefined, 302);
  }

  @Post('sign-out')
  @UseGuards(ConsoleFormGuard)
  @ConsoleOperation({ summary: 'Sign out of the console and of Tessera: the console session, the login session and its sessions end', page: 'the login page (after the redirect)', redirect: 'to the login page' })
  async signOut(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { admin } = consoleFormOf(request);
    if (!admin) return this.pages.redirect(reply, `${this.pages.base}/console`);
    await this.signIn.signOut(admin);
    // An admin leaving the console leaves Tessera too (a shared machine must not sign the
    // next person straight back in): the same logout as the account page's sign-out.
    const login = await this.loginSessions.current(RequestCookies.from(request.headers.cookie).one(SESSION_COOKIE));
    if (login) await this.logouts.end(login, { ip: request.ip });
    this.pages.setCookies(reply, [this.signIn.cookie.cleared(), clearedSessionCookie()]);
    this.pages.redirect(reply, `${this.pages.base}/login?return_to=${encodeURIComponent(`${this.pages.base}/account`)}`, 'signed-out');
  }
}

/**
 * The admin of a console page's GET; otherwise the answer is sent: a new sign-in
 * (redirect to /oauth/authorize) without a console session, the 403 page for a user who
 * is not an admin.
 */
export async function signedIn(signIn: ConsoleSignIn, pages: ConsolePages, request: FastifyRequest, reply: FastifyReply): Promise<ConsoleAdmin | undefined> {
  const admin = await signIn.current(RequestCookies.from(request.headers.cookie).one(signIn.cookie.name));
  if (admin === 'not-admin') {
    pages.forbidden(reply);
    return undefined;
  }
  if (admin) return admin;
  const started = await signIn.start();
  pages.setCookies(reply, [signIn.cookie.set(started.token, started.maxAge)]);
  pages.redirectTo(reply, started.location);
  return undefined;
}

export function queryOf(url: string): FormParams {
  const mark = url.indexOf('?');
  return FormParams.parse(mark === -1 ? '' : url.slice(mark + 1));
}
