import { Controller, Delete, Get, HttpCode, Param, UseGuards, UseInterceptors } from '@nestjs/common';
import { NoStoreInterceptor } from '../admin/no-store.interceptor.js';
import { z } from 'zod';
import { Revoked, SessionView, sessionView } from '../admin/views.js';
import { UserBearerGuard } from '../auth-guard/bearer.guard.js';
import { CurrentPrincipal, type Principal } from '../auth-guard/principal.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { BEARER_FAILURES, Fails } from '../http/api-errors.js';
import { Operation } from '../http/openapi.js';

const MAX_LISTED = 200;

const OwnSessions = z
  .array(SessionView.extend({ current: z.boolean().meta({ description: 'the session of the token used' }) }).meta({ id: 'OwnSession' }))
  .meta({ id: 'OwnSessionList' });

/**
 * A user's own sessions, with their Bearer access token (CONTRACT "Browser sessions").
 * Someone else's session answers exactly like one that does not exist.
 */
@ApiTags('sessions')
@ApiBearerAuth('bearer')
@Controller('auth/sessions')
@UseGuards(UserBearerGuard)
@UseInterceptors(NoStoreInterceptor)
export class AccountSessionsController {
  constructor(private readonly sessions: SessionsService) {}

  /** The caller's live sessions, newest first; `current` marks the one the token belongs to. */
  @Get()
  @Operation({ summary: 'List my live sessions, newest first', returns: OwnSessions, fails: BEARER_FAILURES })
  async list(@CurrentPrincipal() me: Principal) {
    const page = await this.sessions.listOfUser(me.userId!, { limit: MAX_LISTED }, true);
    return page.items.map((family) => ({ ...sessionView(family), current: family.id === me.sid }));
  }

  @Delete(':id')
  @HttpCode(204)
  @Operation({ summary: 'End one of my sessions', status: 204, fails: [...BEARER_FAILURES, Fails.notFound('session')] })
  async revokeOne(@CurrentPrincipal() me: Principal, @Param('id') id: string): Promise<void> {
    const family = await this.sessions.find(id);
    if (!family || family.userId !== me.userId) throw new OAuthError('not_found', 'no such session');
    await this.sessions.revoke(family, 'logout', `user:${me.userId}`);
  }

  /** "Log out everywhere": every session of the caller ends, this one included. */
  @Delete()
  @HttpCode(200)
  @Operation({ summary: 'Log out everywhere: end every one of my sessions', returns: Revoked, fails: BEARER_FAILURES })
  async revokeAll(@CurrentPrincipal() me: Principal) {
    return { revoked: await this.sessions.revokeAllOf(me.userId!, 'logout', `user:${me.userId}`) };
  }
}
