import { Controller, Delete, Get, HttpCode, Param, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { NoStoreInterceptor } from '../admin/no-store.interceptor.js';
import { UserBearerGuard } from '../auth-guard/bearer.guard.js';
import { CurrentPrincipal, type Principal } from '../auth-guard/principal.js';
import { BEARER_FAILURES, Fails } from '../http/api-errors.js';
import { Operation } from '../http/openapi.js';
import { ConsentList, consentView } from '../interaction/consent-views.js';
import { ConsentsService } from '../interaction/consents.service.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';

/** A user's own remembered consents, next to their sessions, with their Bearer access token. */
@ApiTags('sessions')
@ApiBearerAuth('bearer')
@Controller('auth/consents')
@UseGuards(UserBearerGuard)
@UseInterceptors(NoStoreInterceptor)
export class AccountConsentsController {
  constructor(private readonly consents: ConsentsService) {}

  @Get()
  @Operation({ summary: 'List the clients I allowed, newest first', returns: ConsentList, fails: BEARER_FAILURES })
  async list(@CurrentPrincipal() me: Principal) {
    return (await this.consents.listOfUser(me.userId!)).map(consentView);
  }

  /** The client asks for consent again next time; its sessions go on until ended (DELETE /auth/sessions/{id}). */
  @Delete(':clientId')
  @HttpCode(204)
  @Operation({ summary: 'Withdraw my consent to a client', status: 204, fails: [...BEARER_FAILURES, Fails.notFound('consent')] })
  async revoke(@CurrentPrincipal() me: Principal, @Param('clientId') clientId: string): Promise<void> {
    if (!(await this.consents.revoke(me.userId!, clientId, `user:${me.userId}`))) throw new OAuthError('not_found', 'no such consent');
  }
}
