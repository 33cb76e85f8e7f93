import { Delete, Get, HttpCode, Param, Patch, Post, Res } from '@nestjs/common';
import { AdminController } from './admin-controller.decorator.js';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { actorOf, CurrentPrincipal, type Principal } from '../auth-guard/principal.js';
import { ADMIN_FAILURES, Fails } from '../http/api-errors.js';
import { Operation } from '../http/openapi.js';
import { pageBody, pageQuery, pageRequest, UUID_KEY } from '../http/pagination.js';
import { JsonBody, JsonQuery } from '../http/schema-input.js';
import { flag, text } from '../http/schema-rules.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { SecondFactorService } from '../second-factor/second-factor.service.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { UsersService } from '../users/users.service.js';
import { Revoked, SessionView, sessionView, UserPage, UserView, userView } from './views.js';

const profile = {
  email: text(3, 254).nullable().optional().meta({ description: 'released as the OpenID Connect claim email (scope email); null removes it' }),
  email_verified: flag.optional().meta({ description: 'whether the address was verified (default false)' }),
  name: text(1, 256).nullable().optional().meta({ description: 'full name, the claim name (scope profile); null removes it' }),
};
const NewUser = z.strictObject({ username: text(1, 256), password: text(1, 1024), admin: flag.optional(), ...profile }).meta({ id: 'NewUser' });
type NewUser = z.output<typeof NewUser>;
const UserChange = z
  .strictObject({ disabled: flag.optional(), password: text(1, 1024).optional(), admin: flag.optional(), ...profile })
  .meta({ id: 'UserChange', description: 'disabled: true ends every session of the user; a new password too' });
type UserChange = z.output<typeof UserChange>;
const UserQuery = z.strictObject({ username: text(1, 256).meta({ description: 'exact username' }).optional(), ...pageQuery(UUID_KEY) });
const SessionQuery = z.strictObject(pageQuery(UUID_KEY));
const Sessions = z.array(SessionView).meta({ id: 'SessionList', description: 'newest first; a Link header (rel="next") names the next page' });

export function notFound(what: string): OAuthError {
  return new OAuthError('not_found', `no such ${what}`);
}

@AdminController('admin')
export class AdminUsersController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly secondFactors: SecondFactorService,
  ) {}

  @Post('users')
  @Operation({ summary: 'Create a user', status: 201, returns: UserView, fails: [...ADMIN_FAILURES, Fails.body, Fails.rule, Fails.taken, Fails.tooLarge] })
  async create(@CurrentPrincipal() admin: Principal, @JsonBody(NewUser) input: NewUser) {
    return userView(await this.users.create(input, actorOf(admin)));
  }

  @Get('users')
  @Operation({ summary: 'List users, or find one by username', returns: UserPage, fails: [...ADMIN_FAILURES, Fails.query] })
  async list(@JsonQuery(UserQuery) query: z.output<typeof UserQuery>) {
    const { username, ...page } = query;
    return pageBody(await this.users.list({ username }, pageRequest(page)), userView);
  }

  @Get('users/:id')
  @Operation({ summary: 'Read a user', returns: UserView, fails: [...ADMIN_FAILURES, Fails.notFound('user')] })
  async get(@Param('id') id: string) {
    const user = await this.users.findById(id);
    if (!user) throw notFound('user');
    return userView(user);
  }

  @Patch('users/:id')
  @Operation({
    summary: 'Change a user: disable or enable, set the password, grant or remove admin, set profile claims',
    returns: UserView,
    fails: [...ADMIN_FAILURES, Fails.body, Fails.rule, Fails.notFound('user'), Fails.tooLarge],
  })
  async update(@CurrentPrincipal() admin: Principal, @Param('id') id: string, @JsonBody(UserChange) change: UserChange) {
    if (!(await this.users.update(id, change, actorOf(admin)))) throw notFound('user');
    return userView((await this.users.findById(id))!);
  }

  /**
   * A user's sessions, newest first, as the array CONTRACT names; when there are more,
   * the next page is linked in a Link header (RFC 8288, rel="next").
   */
  @Get('users/:id/sessions')
  @Operation({ summary: "List a user's sessions", returns: Sessions, fails: [...ADMIN_FAILURES, Fails.query, Fails.notFound('user')] })
  async sessionsOf(@Param('id') id: string, @JsonQuery(SessionQuery) query: z.output<typeof SessionQuery>, @Res({ passthrough: true }) reply: FastifyReply) {
    const page = pageRequest(query);
    if (!(await this.users.findById(id))) throw notFound('user');
    const { items, next_cursor: next } = pageBody(await this.sessions.listOfUser(id, page), sessionView);
    if (next !== null) void reply.header('Link', `</admin/users/${id}/sessions?limit=${page.limit}&cursor=${next}>; rel="next"`);
    return items;
  }

  @Delete('users/:id/sessions')
  @HttpCode(200)
  @Operation({ summary: 'End every session of a user', returns: Revoked, fails: [...ADMIN_FAILURES, Fails.notFound('user')] })
  async revokeAllOf(@CurrentPrincipal() admin: Principal, @Param('id') id: string) {
    if (!(await this.users.findById(id))) throw notFound('user');
    return { revoked: await this.sessions.revokeAllOf(id, 'admin', actorOf(admin)) };
  }

  /**
   * A user who lost their authenticator app and recovery codes: the factor goes (audited as
   * second_factor_removed with the admin as actor); their next login is by password alone.
   */
  @Delete('users/:id/second-factor')
  @HttpCode(204)
  @Operation({ summary: "Reset a user's second factor (TOTP and recovery codes)", status: 204, fails: [...ADMIN_FAILURES, Fails.notFound('user or second factor')] })
  async resetSecondFactor(@CurrentPrincipal() admin: Principal, @Param('id') id: string): Promise<void> {
    if (!(await this.users.findById(id))) throw notFound('user');
    if (!(await this.secondFactors.remove(id, actorOf(admin)))) throw notFound('second factor');
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @Operation({ summary: 'End one session', status: 204, fails: [...ADMIN_FAILURES, Fails.notFound('session')] })
  async revokeOne(@CurrentPrincipal() admin: Principal, @Param('id') id: string): Promise<void> {
    const family = await this.sessions.find(id);
    if (!family) throw notFound('session');
    await this.sessions.revoke(family, 'admin', actorOf(admin));
  }
}
