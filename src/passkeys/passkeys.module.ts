import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { InteractionModule } from '../interaction/interaction.module.js';
import { InteractionErrorFilter } from '../interaction/interaction-error.filter.js';
import { OAuthModule } from '../oauth/oauth.module.js';
import { ThrottleModule } from '../throttle/throttle.module.js';
import { UsersModule } from '../users/users.module.js';
import { PasskeyChallenges } from './passkey-challenges.service.js';
import { PasskeyLoginController } from './passkey-login.controller.js';
import { PasskeyRegistration } from './passkey-registration.service.js';
import { PasskeySignIn } from './passkey-sign-in.service.js';
import { RELYING_PARTY, relyingPartyOf } from './relying-party.js';

/** Passkeys (WebAuthn Level 3 through @simplewebauthn/server): sign-in on the login page; registration and sign-in for the account pages. */
@Module({
  imports: [AuditModule, InteractionModule, OAuthModule, ThrottleModule, UsersModule],
  controllers: [PasskeyLoginController],
  providers: [
    PasskeyChallenges,
    PasskeyRegistration,
    PasskeySignIn,
    InteractionErrorFilter,
    { provide: RELYING_PARTY, useFactory: (config: ResolvedConfig) => relyingPartyOf(config), inject: [CONFIG] },
  ],
  exports: [PasskeyRegistration, PasskeySignIn],
})
export class PasskeysModule {}
