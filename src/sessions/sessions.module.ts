import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { GraceSweeper } from './grace-sweeper.js';
import { RefreshTokensService } from './refresh-tokens.service.js';
import { RevocationView } from './revocation-view.service.js';
import { SessionRevoker } from './session-revoker.service.js';
import { SessionsService } from './sessions.service.js';

@Module({
  imports: [AuditModule],
  providers: [RefreshTokensService, SessionRevoker, GraceSweeper, RevocationView, SessionsService],
  exports: [RefreshTokensService, SessionRevoker, RevocationView, SessionsService],
})
export class SessionsModule {}
