import { Delete, Get, HttpCode, Param } from '@nestjs/common';
import { actorOf, CurrentPrincipal, type Principal } from '../auth-guard/principal.js';
import { ADMIN_FAILURES, Fails } from '../http/api-errors.js';
import { Operation } from '../http/openapi.js';
import { ConsentList, consentView } from '../interaction/consent-views.js';
import { ConsentsService } from '../interaction/consents.service.js';
import { UsersService } from '../users/users.service.js';
import { AdminController } from './admin-controller.decorator.js';
import { notFound } from './admin-users.controller.js';

/** A user's remembered consents, as an admin sees and withdraws them. */
@AdminController('admin/users/:id/consents')
export class AdminConsentsController {
  constructor(
    private readonly users: UsersService,
    private readonly consents: ConsentsService,
  ) {}

  @Get()
  @Operation({ summary: 'List the clients a user allowed', returns: ConsentList, fails: [...ADMIN_FAILURES, Fails.notFound('user')] })
  async list(@Param('id') id: string) {
    if (!(await this.users.findById(id))) throw notFound('user');
    return (await this.consents.listOfUser(id)).map(consentView);
  }

  @Delete(':clientId')
  @HttpCode(204)
  @Operation({ summary: "Withdraw a user's consent to a client", status: 204, fails: [...ADMIN_FAILURES, Fails.notFound('consent')] })
  async revoke(@CurrentPrincipal() admin: Principal, @Param('id') id: string, @Param('clientId') clientId: string): Promise<void> {
    if (!(await this.users.findById(id))) throw notFound('user');
    if (!(await this.consents.revoke(id, clientId, actorOf(admin)))) throw notFound('consent');
  }
}
