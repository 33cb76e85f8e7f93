import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuditModule } from '../audit/audit.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { ThrottleModule } from '../throttle/throttle.module.js';
import { LocalStrategy } from './local.strategy.js';
import { PasswordHasher } from './password-hasher.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [PassportModule, AuditModule, SessionsModule, ThrottleModule],
  providers: [UsersService, LocalStrategy, PasswordHasher],
  exports: [UsersService, LocalStrategy],
})
export class UsersModule {}
