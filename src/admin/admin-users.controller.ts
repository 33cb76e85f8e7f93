import { Body, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { AdminController } from './admin-controller.decorator.js';
import type { FastifyReply } from 'fastify';
import { actorOf, CurrentPrincipal, type Principal } from '../auth-guard/principal.js';
import { boolean, optional, parseInput, required, string } from '../http/json-input.js';
import { pageBody, pageQuery, pageRequest, UUID_KEY } from '../http/pagination.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { UsersService } from '../users/users.service.js';
import { sessionView, userView } from './views.js';

const NEW_USER = { username: required(string(1, 256)), password: required(string(1, 1024)), admin: optional(boolean) };
const USER_CHANGE = { disabled: optional(boolean), password: optional(string(1, 1024)), admin: optional(boolean) };
const USER_QUERY = { username: optional(string(1, 256)), ...pageQuery(UUID_KEY) };
const SESSION_QUERY = pageQuery(UUID_KEY);

export function notFound(what: string): OAuthError {
  return new OAuthError('not_found', `no such ${what}`);
}

@AdminController('admin')
export class AdminUsersController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
  ) {}

  @Post('users')
  async create(@CurrentPrincipal() admin: Principal, @Body() body: unknown) {
    const input = parseInput(body, NEW_USER);
    return userView(await this.users.create(input, actorOf(admin)));
  }

  @Get('users')
  async list(@Query() query: unknown) {
    const { username, ...page } = parseInput(query, USER_QUERY, 'query');
    return pageBody(await this.users.list({ username }, pageRequest(page)), userView);
  }

  @Get('users/:id')
  async get(@Param('id') id: string) {
    const user = await this.users.findById(id);
    if (!user) throw notFound('user');
    return userView(user);
  }

  @Patch('users/:id')
  async update(@CurrentPrincipal() admin: Principal, @Param('id') id: string, @Body() body: unknown) {
    const change = parseInput(body, USER_CHANGE);
    if (!(await this.users.update(id, change, actorOf(admin)))) throw notFound('user');
    return userView((await this.users.findById(id))!);
  }

  /**
   * A user's sessions, newest first, as the array CONTRACT names; when there are more,
   * the next page is linked in a Link header (RFC 8288, rel="next").
   */
  @Get('users/:id/sessions')
  async sessionsOf(@Param('id') id: string, @Query() query: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const page = pageRequest(parseInput(query, SESSION_QUERY, 'query'));
    if (!(await this.users.findById(id))) throw notFound('user');
    const { items, next_cursor: next } = pageBody(await this.sessions.listOfUser(id, page), sessionView);
    if (next !== null) void reply.header('Link', `</admin/users/${id}/sessions?limit=${page.limit}&cursor=${next}>; rel="next"`);
    return items;
  }

  @Delete('users/:id/sessions')
  @HttpCode(200)
  async revokeAllOf(@CurrentPrincipal() admin: Principal, @Param('id') id: string) {
    if (!(await this.users.findById(id))) throw notFound('user');
    return { revoked: await this.sessions.revokeAllOf(id, 'admin', actorOf(admin)) };
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  async revokeOne(@CurrentPrincipal() admin: Principal, @Param('id') id: string): Promise<void> {
    const family = await this.sessions.find(id);
    if (!family) throw notFound('session');
    await this.sessions.revoke(family, 'admin', actorOf(admin));
  }
}
