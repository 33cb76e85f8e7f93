import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { SecondFactorChallenges } from './second-factor-challenges.service.js';
import { SecondFactorService } from './second-factor.service.js';

/** TOTP as a second factor (RFC 6238): enrolment, codes, recovery codes, and the login's second step. */
@Module({
  imports: [AuditModule],
  providers: [SecondFactorService, SecondFactorChallenges],
  exports: [SecondFactorService, SecondFactorChallenges],
})
export class SecondFactorModule {}
