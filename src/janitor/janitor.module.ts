import { Module } from '@nestjs/common';
import { JanitorService } from './janitor.service.js';
import { JanitorTask } from './janitor.task.js';

/** Deletes expired sessions, tokens and revocation records (README "Cleanup"). */
@Module({
  providers: [JanitorService, JanitorTask],
  exports: [JanitorService],
})
export class JanitorModule {}
