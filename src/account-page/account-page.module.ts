import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { InteractionModule } from '../interaction/interaction.module.js';
import { InteractionErrorFilter } from '../interaction/interaction-error.filter.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountFormGuard } from './account-form.guard.js';
import { AccountLoginController } from './account-login.controller.js';
import { AccountPageController } from './account-page.controller.js';
import { AccountPageService } from './account-page.service.js';
import { AccountPages } from './account-pages.js';
import { AccountTotpController } from './account-totp.controller.js';

/** The hosted account page and the login that leads to it (CONTRACT "Account page"). */
@Module({
  imports: [AuditModule, InteractionModule, SessionsModule, UsersModule],
  controllers: [AccountPageController, AccountTotpController, AccountLoginController],
  providers: [AccountPageService, AccountPages, AccountFormGuard, InteractionErrorFilter],
})
export class AccountPageModule {}
