import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { InteractionModule } from '../interaction/interaction.module.js';
import { InteractionErrorFilter } from '../interaction/interaction-error.filter.js';
import { OAuthModule } from '../oauth/oauth.module.js';
import { ThrottleModule } from '../throttle/throttle.module.js';
import { UsersModule } from '../users/users.module.js';
import { PasskeyLoginController } from './passkey-login.controller.js';
import { PasskeyRegistration } from './passkey-registration.service.js';
import { PasskeySignIn } from './passkey-sign-in.service.js';

/**
 * Passkeys (WebAuthn Level 3 through @simplewebauthn/server): sign-in on the login page;
 * registration and sign-in for the account pages. Its challenges and relying party come from
 * the second-factor module (through InteractionModule), which uses them for the second step.
 */
@Module({
  imports: [AuditModule, InteractionModule, OAuthModule, ThrottleModule, UsersModule],
  controllers: [PasskeyLoginController],
  providers: [
    PasskeyRegistration,
    PasskeySignIn,
    InteractionErrorFilter,
  ],
  exports: [PasskeyRegistration, PasskeySignIn],
})
export class PasskeysModule {}
