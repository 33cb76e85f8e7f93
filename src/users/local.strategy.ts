import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import { LoginThrottle } from '../throttle/login-throttle.service.js';
import type { User } from './user.js';
import { UsersService } from './users.service.js';

/** What the strategy reads of a request besides the two credentials (passReqToCallback). */
export interface LoginOrigin {
  /** the client IP: Fastify's request.ip, which honours TRUST_PROXY */
  readonly ip: string | undefined;
  readonly clientId?: string;
  /** the browser's device cookie (browser login only), unverified: the throttle judges it */
  readonly deviceCookie?: string;
}

/**
 * The one place where a username and password become a user: the password grant and
 * the browser login both go through it. `false` means "not proven", whatever the cause.
 * Throttled attempts are refused with 429 before any lookup or argon2 work, and the
 * throttle is keyed by the username as typed, so its answers are the same for names
 * that exist and names that do not.
 */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(
    private readonly users: UsersService,
    private readonly throttle: LoginThrottle,
  ) {
    super({ usernameField: 'username', passwordField: 'password', session: false, passReqToCallback: true });
  }

  async validate(origin: LoginOrigin, username: string, password: string): Promise<User | false> {
    const attempt = { username, ip: origin.ip, clientId: origin.clientId, deviceCookie: origin.deviceCookie };
    await this.throttle.check(attempt);
    const user = await this.users.authenticate(username, password);
    await (user ? this.throttle.succeeded(attempt) : this.throttle.failed(attempt));
    return user ?? false;
  }
}
