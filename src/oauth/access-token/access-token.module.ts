import { Module } from '@nestjs/common';
import { SessionsModule } from '../../sessions/sessions.module.js';
import { UsersModule } from '../../users/users.module.js';
import { OAuthModule } from '../oauth.module.js';
import { AccessTokenStatus } from './access-token-status.service.js';
import { AccessTokenVerifier } from './access-token.verifier.js';
import { TokenLookup } from './token-lookup.service.js';

/** Presented tokens of every type: verification, status, revocation by jti. */
@Module({
  imports: [OAuthModule, SessionsModule, UsersModule],
  providers: [AccessTokenVerifier, AccessTokenStatus, TokenLookup],
  exports: [AccessTokenStatus, TokenLookup],
})
export class AccessTokenModule {}
