import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { DeviceCookies } from './device-cookies.js';
import { LoginThrottle } from './login-throttle.service.js';
import { ClientAuthThrottle, IntrospectionThrottle } from './request-throttles.js';

/** Brute force and enumeration: failed logins, client authentications and introspections. */
@Module({
  imports: [AuditModule],
  providers: [LoginThrottle, IntrospectionThrottle, ClientAuthThrottle, DeviceCookies],
  exports: [LoginThrottle, IntrospectionThrottle, ClientAuthThrottle, DeviceCookies],
})
export class ThrottleModule {}
