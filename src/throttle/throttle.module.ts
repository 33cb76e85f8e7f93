import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { LoginThrottle } from './login-throttle.service.js';
import { ClientAuthThrottle, IntrospectionThrottle } from './request-throttles.js';

/** Brute force and enumeration: failed logins, client authentications and introspections. */
@Module({
  imports: [AuditModule],
  providers: [LoginThrottle, IntrospectionThrottle, ClientAuthThrottle],
  exports: [LoginThrottle, IntrospectionThrottle, ClientAuthThrottle],
})
export class ThrottleModule {}
