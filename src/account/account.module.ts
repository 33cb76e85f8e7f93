import { Module } from '@nestjs/common';
import { AuthGuardModule } from '../auth-guard/auth-guard.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { AccountSessionsController } from './account-sessions.controller.js';

/** Self-service: what a signed-in user may do with their own sessions. */
@Module({ imports: [AuthGuardModule, SessionsModule], controllers: [AccountSessionsController] })
export class AccountModule {}
