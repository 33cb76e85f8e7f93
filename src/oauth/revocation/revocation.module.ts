import { Module } from '@nestjs/common';
import { AuditModule } from '../../audit/audit.module.js';
import { SessionsModule } from '../../sessions/sessions.module.js';
import { AccessTokenModule } from '../access-token/access-token.module.js';
import { OAuthModule } from '../oauth.module.js';
import { RevocationController } from './revocation.controller.js';
import { RevocationService } from './revocation.service.js';

@Module({
  imports: [OAuthModule, AccessTokenModule, SessionsModule, AuditModule],
  controllers: [RevocationController],
  providers: [RevocationService],
})
export class RevocationModule {}
