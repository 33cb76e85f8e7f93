import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { AuthGuardModule } from '../auth-guard/auth-guard.module.js';
import { ClientsModule } from '../clients/clients.module.js';
import { OAuthModule } from '../oauth/oauth.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { InteractionModule } from '../interaction/interaction.module.js';
import { AdminClientsController } from './admin-clients.controller.js';
import { AdminConsentsController } from './admin-consents.controller.js';
import { AdminEventsController } from './admin-events.controller.js';
import { AdminUsersController } from './admin-users.controller.js';

/** CONTRACT "Admin API": every route needs an admin's Bearer token (AdminBearerGuard). */
@Module({
  imports: [AuthGuardModule, AuditModule, ClientsModule, OAuthModule, SessionsModule, InteractionModule],
  controllers: [AdminUsersController, AdminClientsController, AdminEventsController, AdminConsentsController],
})
export class AdminModule {}
