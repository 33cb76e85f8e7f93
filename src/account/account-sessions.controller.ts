import { Controller, Delete, Get, HttpCode, Param, UseGuards, UseInterceptors } from '@nestjs/common';
import { NoStoreInterceptor } from '../admin/no-store.interceptor.js';
import { sessionView } from '../admin/views.js';
import { UserBearerGuard } from '../auth-guard/bearer.guard.js';
import { CurrentPrincipal, type Principal } from '../auth-guard/principal.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../http/openapi.js';

const MAX_LISTED = 200;

/**
 * A user's own sessions, with their Bearer access token (CONTRACT "Browser sessions").
 * Someone else's session answers exactly like one that does not exist.
 */
@ApiTags('sessions')
@ApiBearerAuth('bearer')
@ApiErrors(400, 401, 404, 503)
@Controller('auth/sessions')
@UseGuards(UserBearerGuard)
@UseInterceptors(NoStoreInterceptor)
export class AccountSessionsController {
  constructor(private readonly sessions: SessionsService) {}

  /** The caller's live sessions, newest first; `current` marks the one the token belongs to. */
  @Get()
  async list(@CurrentPrincipal() me: Principal) {
    const page = await this.sessions.listOfUser(me.userId!, { limit: MAX_LISTED }, true);
    return page.items.map((family) => ({ ...sessionView(family), current: family.id === me.sid }));
  }

  @Delete(':id')
  @HttpCode(204)
  async revokeOne(@CurrentPrincipal() me: Principal, @Param('id') id: string): Promise<void> {
    const family = await this.sessions.find(id);
    if (!family || family.userId !== me.userId) throw new OAuthError('not_found', 'no such session');
    await this.sessions.revoke(family, 'logout', `user:${me.userId}`);
  }

  /** "Log out everywhere": every session of the caller ends, this one included. */
  @Delete()
  @HttpCode(200)
  async revokeAll(@CurrentPrincipal() me: Principal) {
    return { revoked: await this.sessions.revokeAllOf(me.userId!, 'logout', `user:${me.userId}`) };
  }
}
