import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { ClientsService } from './clients.service.js';

@Module({ imports: [AuditModule, SessionsModule], providers: [ClientsService], exports: [ClientsService] })
export class ClientsModule {}
