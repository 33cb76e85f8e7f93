import { SecondFactorModule } from '../second-factor/second-factor.module.js';
import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { ClientsModule } from '../clients/clients.module.js';
import { OAuthModule } from '../oauth/oauth.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { ThrottleModule } from '../throttle/throttle.module.js';
import { UsersModule } from '../users/users.module.js';
import { BrowserController } from './browser.controller.js';
import { BrowserOrigins } from './browser-origins.service.js';
import { BrowserSessionsService } from './browser-sessions.service.js';
import { CsrfTokens } from './csrf-tokens.js';
import { BrowserLoginGuard } from './guards/browser-login.guard.js';
import { BrowserSessionGuard } from './guards/browser-session.guard.js';
import { LocalAuthGuard } from './guards/local-auth.guard.js';

/** Browser sessions: the refresh token in an HttpOnly cookie, behind CSRF and origin checks. */
@Module({
  imports: [AuditModule, ClientsModule, OAuthModule, SessionsModule, ThrottleModule, UsersModule, SecondFactorModule],
  controllers: [BrowserController],
  providers: [BrowserSessionsService, BrowserOrigins, CsrfTokens, BrowserLoginGuard, LocalAuthGuard, BrowserSessionGuard],
  exports: [BrowserOrigins],
})
export class BrowserModule {}
