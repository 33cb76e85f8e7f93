import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { OAuthModule } from '../oauth/oauth.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { BackchannelLogoutSender } from './backchannel-logout.sender.js';
import { LogoutTokenSigner } from './logout-token.signer.js';

/** OpenID Connect Back-Channel Logout 1.0: logout tokens to relying parties, from the outbox the revocations write. */
@Module({
  imports: [AuditModule, OAuthModule, SessionsModule],
  providers: [LogoutTokenSigner, BackchannelLogoutSender],
})
export class BackchannelModule {}
