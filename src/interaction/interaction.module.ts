import { Module } from '@nestjs/common';
import { ErrorPages } from '../http/error-pages.js';
import { AuditModule } from '../audit/audit.module.js';
import { CsrfTokens } from '../browser/csrf-tokens.js';
import { LocalAuthGuard } from '../browser/guards/local-auth.guard.js';
import { ClientsModule } from '../clients/clients.module.js';
import { OAuthModule } from '../oauth/oauth.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UsersModule } from '../users/users.module.js';
import { AssetsController } from './assets.controller.js';
import { AuthorizationFlow } from './authorization-flow.service.js';
import { AuthorizeController } from './authorize.controller.js';
import { ConsentsService } from './consents.service.js';
import { InteractionConsentGuard } from './guards/interaction-consent.guard.js';
import { SessionFormCheck } from './guards/session-form.js';
import { InteractionLoginGuard } from './guards/interaction-login.guard.js';
import { InteractionSecondFactorGuard } from './guards/interaction-second-factor.guard.js';
import { LoginFormCheck } from './guards/login-form.js';
import { SecondFactorModule } from '../second-factor/second-factor.module.js';
import { SecondStep } from './second-step.js';
import { InteractionController } from './interaction.controller.js';
import { InteractionErrorFilter } from './interaction-error.filter.js';
import { InteractionPages } from './interaction-pages.service.js';
import { LoginSessionsService } from './login-sessions.service.js';
import { LogoutController } from './logout/logout.controller.js';
import { LogoutPipeline } from './logout/logout-pipeline.js';
import { LogoutService } from './logout/logout.service.js';
import { Pages } from './pages.js';

/** The authorization endpoint, the end_session_endpoint, and Tessera's hosted login, consent and logout pages. */
@Module({
  imports: [AuditModule, ClientsModule, OAuthModule, SessionsModule, UsersModule, SecondFactorModule],
  controllers: [AuthorizeController, InteractionController, LogoutController, AssetsController],
  providers: [
    AuthorizationFlow,
    LoginSessionsService,
    Pages,
    InteractionPages,
    InteractionErrorFilter,
    CsrfTokens,
    InteractionLoginGuard,
    InteractionSecondFactorGuard,
    LoginFormCheck,
    SecondStep,
    InteractionConsentGuard,
    SessionFormCheck,
    LocalAuthGuard,
    ConsentsService,
    { provide: ErrorPages, useExisting: InteractionPages },
    LogoutPipeline,
    LogoutService,
  ],
  // The JSON renderer hands a hosted page's early errors (its form body) to the error page.
  exports: [SecondFactorModule, ConsentsService, Pages, InteractionPages, InteractionErrorFilter, CsrfTokens, LoginSessionsService, LogoutService, ErrorPages, SessionFormCheck],
})
export class InteractionModule {}
