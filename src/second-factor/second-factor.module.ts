import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { PasskeyChallenges } from '../passkeys/passkey-challenges.service.js';
import { PasskeySecondFactor } from '../passkeys/passkey-second-factor.service.js';
import { RELYING_PARTY, relyingPartyOf } from '../passkeys/relying-party.js';
import { ThrottleModule } from '../throttle/throttle.module.js';
import { UsersModule } from '../users/users.module.js';
import { SecondFactorChallenges } from './second-factor-challenges.service.js';
import { SecondFactorService } from './second-factor.service.js';

/**
 * The login's second step: TOTP (RFC 6238) with its enrolment, codes and recovery codes, and
 * a passkey after the password. The WebAuthn challenges and relying party live here, below
 * the passkeys module (which uses them through this one), since the step needs them too.
 */
@Module({
  imports: [AuditModule, ThrottleModule, UsersModule],
  providers: [
    SecondFactorService,
    SecondFactorChallenges,
    PasskeyChallenges,
    PasskeySecondFactor,
    { provide: RELYING_PARTY, useFactory: (config: ResolvedConfig) => relyingPartyOf(config), inject: [CONFIG] },
  ],
  exports: [SecondFactorService, SecondFactorChallenges, PasskeyChallenges, RELYING_PARTY],
})
export class SecondFactorModule {}
