import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-local';
import type { User } from './user.js';
import { UsersService } from './users.service.js';

/**
 * The one place where a username and password become a user: the password grant and
 * the browser login both go through it. `undefined` means "not proven", whatever the cause.
 */
@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy, 'local') {
  constructor(private readonly users: UsersService) {
    super({ usernameField: 'username', passwordField: 'password', session: false });
  }

  async validate(username: string, password: string): Promise<User | false> {
    return (await this.users.authenticate(username, password)) ?? false;
  }
}
