import { Module } from '@nestjs/common';
import { AccessTokenModule } from '../oauth/access-token/access-token.module.js';
import { UsersModule } from '../users/users.module.js';
import { DpopModule } from '../oauth/dpop/dpop.module.js';
import { BearerAuthenticator } from './bearer-authenticator.service.js';
import { AdminBearerGuard, UserBearerGuard } from './bearer.guard.js';

/** RFC 6750 Bearer and RFC 9449 DPoP authentication for Tessera's own APIs (admin, self-service). */
@Module({
  imports: [AccessTokenModule, UsersModule, DpopModule],
  providers: [BearerAuthenticator, UserBearerGuard, AdminBearerGuard],
  exports: [BearerAuthenticator, UserBearerGuard, AdminBearerGuard, UsersModule],
})
export class AuthGuardModule {}
