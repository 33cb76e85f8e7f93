import { Controller, Get, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestCookies } from '../browser/cookies.js';
import { InteractionErrorFilter } from '../interaction/interaction-error.filter.js';
import type { LoginSession } from '../interaction/login-session.js';
import { LoginSessionsService } from '../interaction/login-sessions.service.js';
import { SESSION_COOKIE, sessionCookie } from '../interaction/session-cookie.js';
import { UsersService } from '../users/users.service.js';
import { AccountFormGuard, accountFormOf } from './account-form.guard.js';
import { AccountOperation } from './account-operation.js';
import { AccountPageService } from './account-page.service.js';
import { AccountPages } from './account-pages.js';

const PAGE = 'the account page';

/**
 * The hosted account page (CONTRACT "Account page"): a signed-in user's sessions,
 * consents and password. Each form posts here and is answered 303 back to the page
 * with a one-time message; without a login session, to the login page.
 */
@ApiTags('pages')
@Controller('account')
@UseFilters(InteractionErrorFilter)
export class AccountPageController {
  constructor(
    private readonly account: AccountPageService,
    private readonly loginSessions: LoginSessionsService,
    private readonly users: UsersService,
    private readonly pages: AccountPages,
  ) {}

  @Get()
  @AccountOperation({ summary: 'The account page: my sessions, consents and password', page: PAGE })
  async show(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const cookies = RequestCookies.from(request.headers.cookie);
    const session = await this.loginSessions.current(cookies.one(SESSION_COOKIE));
    const overview = session && (await this.account.overview(session));
    if (!session || !overview) return this.pages.toLogin(reply);
    this.pages.account(reply, cookies, overview, session);
  }

  @Post('sessions')
  @UseGuards(AccountFormGuard)
  @AccountOperation({ summary: 'End one of my sessions (end_session=<session id>)', page: PAGE })
  async endSession(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { session, form } = accountFormOf(request);
    if (!session) return this.pages.toLogin(reply);
    await this.account.endSession(session, form.get('end_session'));
    this.pages.toAccount(reply, 'session-ended');
  }

  @Post('sessions/others')
  @UseGuards(AccountFormGuard)
  @AccountOperation({ summary: 'Log out everywhere else: end every session but this browser\'s', page: PAGE })
  async endOthers(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { session } = accountFormOf(request);
    if (!session) return this.pages.toLogin(reply);
    await this.account.endOthers(session);
    this.pages.toAccount(reply, 'others-ended');
  }

  @Post('consents')
  @UseGuards(AccountFormGuard)
  @AccountOperation({ summary: 'Withdraw my consent to a client (revoke_consent=<client id>)', page: PAGE })
  async revokeConsent(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { session, form } = accountFormOf(request);
    if (!session) return this.pages.toLogin(reply);
    await this.account.revokeConsent(session, form.get('revoke_consent'));
    this.pages.toAccount(reply, 'consent-revoked');
  }

  /** current_password, new_password, confirm_password; the current password is proven again. */
  @Post('password')
  @UseGuards(AccountFormGuard)
  @AccountOperation({ summary: 'Change my password; every other session ends', page: PAGE })
  async changePassword(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { session, form } = accountFormOf(request);
    if (!session) return this.pages.toLogin(reply);
    const change = { current: form.get('current_password'), next: form.get('new_password'), confirmation: form.get('confirm_password'), ip: request.ip };
    const outcome = await this.account.changePassword(session, change, reply);
    if (outcome === 'changed') await this.renewCookie(request, reply, session);
    this.pages.toAccount(reply, outcome === 'changed' ? 'password-changed' : outcome);
  }

  @Post('sign-out')
  @UseGuards(AccountFormGuard)
  @AccountOperation({ summary: 'Sign out of Tessera: this login session and its sessions end', page: PAGE })
  async signOut(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { session } = accountFormOf(request);
    if (session) await this.account.signOut(session, request.ip);
    this.pages.setCookies(reply, [sessionCookie('', 0)]);
    this.pages.toLogin(reply, 'signed-out');
  }

  /** The password was just proven: a new auth_time and a new cookie value (no fixation of the old one). */
  private async renewCookie(request: FastifyRequest, reply: FastifyReply, session: LoginSession): Promise<void> {
    const user = await this.users.findById(session.userId);
    if (!user) return;
    const started = await this.loginSessions.loggedIn(user, session, { ip: request.ip, userAgent: request.headers['user-agent'] });
    this.pages.setCookies(reply, [sessionCookie(started.token, started.maxAge)]);
  }
}
