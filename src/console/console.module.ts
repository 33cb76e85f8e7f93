import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { ClientsModule } from '../clients/clients.module.js';
import { InteractionModule } from '../interaction/interaction.module.js';
import { InteractionErrorFilter } from '../interaction/interaction-error.filter.js';
import { OAuthModule } from '../oauth/oauth.module.js';
import { SecondFactorModule } from '../second-factor/second-factor.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UsersModule } from '../users/users.module.js';
import { ConsoleController } from './console.controller.js';
import { ConsoleClientPages } from './console-client-pages.js';
import { ConsoleClientsController } from './console-clients.controller.js';
import { ConsoleClientsService } from './console-clients.service.js';
import { ConsoleEventsController } from './console-events.controller.js';
import { ConsoleEventsService } from './console-events.service.js';
import { ConsoleFormGuard } from './console-form.guard.js';
import { ConsoleKeysController } from './console-keys.controller.js';
import { ConsolePages } from './console-pages.js';
import { ConsoleSignIn } from './console-sign-in.service.js';
import { ConsoleUsersController } from './console-users.controller.js';
import { ConsoleUsersService } from './console-users.service.js';

/** The hosted admin console (CONTRACT "Admin console"), a first-party client of Tessera itself. */
@Module({
  imports: [AuditModule, ClientsModule, InteractionModule, OAuthModule, SecondFactorModule, SessionsModule, UsersModule],
  controllers: [ConsoleController, ConsoleUsersController, ConsoleEventsController, ConsoleClientsController, ConsoleKeysController],
  providers: [ConsoleSignIn, ConsolePages, ConsoleClientPages, ConsoleUsersService, ConsoleClientsService, ConsoleEventsService, ConsoleFormGuard, InteractionErrorFilter],
})
export class ConsoleModule {}
