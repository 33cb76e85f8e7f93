import { Controller, Get, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FlashCode } from '../account-page/flash.js';
import { RequestCookies } from '../browser/cookies.js';
import { decodeCursor, UUID_KEY } from '../http/pagination.js';
import { InteractionErrorFilter } from '../interaction/interaction-error.filter.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { queryOf, signedIn } from './console.controller.js';
import { confirmedAdmin, type ConsoleForm, ConsoleFormGuard, consoleFormOf } from './console-form.guard.js';
import { ConsoleOperation } from './console-operation.js';
import { ConsolePages } from './console-pages.js';
import { type ConsoleAdmin, ConsoleSignIn } from './console-sign-in.service.js';
import { ConsoleUsersService } from './console-users.service.js';

const BACK = 'to the user\'s page with a one-time message (nothing changed without the confirmation box ticked), or to sign in';
const USER_PAGE = 'the user page';

/**
 * The console's users: search, a user's page, and what an admin does to a user. Each
 * post needs the confirmation box ticked, else nothing changes.
 */
@ApiTags('console')
@Controller('console/users')
@UseFilters(InteractionErrorFilter)
export class ConsoleUsersController {
  constructor(
    private readonly signIn: ConsoleSignIn,
    private readonly pages: ConsolePages,
    private readonly users: ConsoleUsersService,
  ) {}

  @Get()
  @ConsoleOperation({ summary: 'Find users by username or email (q=<text>, cursor=<next page>)', page: 'the users found, newest first', redirect: 'to sign in' })
  async search(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const admin = await signedIn(this.signIn, this.pages, request, reply);
    if (!admin) return;
    const query = queryOf(request.url);
    const q = query.get('q') ?? '';
    const raw = query.get('cursor');
    const after = raw === undefined ? undefined : decodeCursor(raw, UUID_KEY);
    if (raw !== undefined && after === undefined) throw OAuthError.invalidRequest('cursor is not one of a previous page');
    this.pages.users(reply, RequestCookies.from(request.headers.cookie), admin, q, await this.users.search(q, after));
  }

  @Get(':id')
  @ConsoleOperation({ summary: 'A user: status, roles, sessions, and what can be done', page: USER_PAGE, redirect: 'to sign in' })
  async show(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    const admin = await signedIn(this.signIn, this.pages, request, reply);
    if (!admin) return;
    this.pages.user(reply, RequestCookies.from(request.headers.cookie), admin, await this.users.detail(id), this.users.now());
  }

  @Post(':id/sessions/revoke')
  @UseGuards(ConsoleFormGuard)
  @ConsoleOperation({ summary: 'Revoke one session of the user (session=<id>, confirm=yes)', page: 'the user page (after the redirect), with a one-time message', redirect: BACK })
  async revokeOne(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    await this.act(request, reply, id, 'console-session-revoked', (admin, form) => this.users.revokeSession(admin, id, form.form.get('session')));
  }

  @Post(':id/sessions/revoke-all')
  @UseGuards(ConsoleFormGuard)
  @ConsoleOperation({ summary: 'Revoke every session of the user (confirm=yes)', page: 'the user page (after the redirect), with a one-time message', redirect: BACK })
  async revokeAll(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    await this.act(request, reply, id, 'console-sessions-revoked', (admin) => this.users.revokeAll(admin, id));
  }

  @Post(':id/disable')
  @UseGuards(ConsoleFormGuard)
  @ConsoleOperation({ summary: 'Disable the user: login refused, every session revoked (confirm=yes)', page: 'the user page (after the redirect), with a one-time message', redirect: BACK })
  async disable(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    await this.act(request, reply, id, 'console-disabled', (admin) => this.users.setDisabled(admin, id, true));
  }

  @Post(':id/enable')
  @UseGuards(ConsoleFormGuard)
  @ConsoleOperation({ summary: 'Enable the user again (confirm=yes)', page: 'the user page (after the redirect), with a one-time message', redirect: BACK })
  async enable(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    await this.act(request, reply, id, 'console-enabled', (admin) => this.users.setDisabled(admin, id, false));
  }

  @Post(':id/second-factor')
  @UseGuards(ConsoleFormGuard)
  @ConsoleOperation({ summary: 'Remove the user\'s second factor and recovery codes (confirm=yes)', page: 'the user page (after the redirect), with a one-time message', redirect: BACK })
  async resetSecondFactor(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    await this.act(request, reply, id, 'console-second-factor-reset', (admin) => this.users.resetSecondFactor(admin, id));
  }

  @Post(':id/password')
  @UseGuards(ConsoleFormGuard)
  @ConsoleOperation({ summary: 'Replace the user\'s password with a generated one, shown once; every session revoked (confirm=yes)', page: 'the generated password, once', redirect: BACK })
  async resetPassword(@Req() request: FastifyRequest, @Res() reply: FastifyReply, @Param('id') id: string): Promise<void> {
    const form = consoleFormOf(request);
    if (!this.ready(reply, form, id)) return;
    const { user, password } = await this.users.resetPassword(form.admin!, id);
    this.pages.password(reply, RequestCookies.from(request.headers.cookie), form.admin!, user, password);
  }

  /** The confirmed action, then back to the user's page with its message. */
  private async act(request: FastifyRequest, reply: FastifyReply, id: string, done: FlashCode, action: (admin: ConsoleAdmin, form: ConsoleForm) => Promise<unknown>): Promise<void> {
    const form = consoleFormOf(request);
    if (!this.ready(reply, form, id)) return;
    await action(form.admin!, form);
    this.pages.toUser(reply, id, done);
  }

  /** Signed in and confirmed; else the answer is sent (sign in again, or the page with "nothing changed"). */
  private ready(reply: FastifyReply, form: ConsoleForm, id: string): boolean {
    const admin = confirmedAdmin(this.pages, reply, form, () => {
      if (!UUID_KEY.test(id)) throw new OAuthError('not_found', 'no such user');
      return `/console/users/${id}`;
    });
    return admin !== undefined;
  }
}
