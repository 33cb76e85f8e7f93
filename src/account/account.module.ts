import { Module } from '@nestjs/common';
import { AuthGuardModule } from '../auth-guard/auth-guard.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { InteractionModule } from '../interaction/interaction.module.js';
import { AccountConsentsController } from './account-consents.controller.js';
import { AccountSessionsController } from './account-sessions.controller.js';

/** Self-service: what a signed-in user may do with their own sessions and consents. */
@Module({ imports: [AuthGuardModule, SessionsModule, InteractionModule], controllers: [AccountSessionsController, AccountConsentsController] })
export class AccountModule {}
