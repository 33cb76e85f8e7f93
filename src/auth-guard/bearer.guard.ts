import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { ADMIN_ROLE } from '../users/user.js';
import { UsersService } from '../users/users.service.js';
import { BearerAuthenticator, bearerChallenge, resourceRequestOf } from './bearer-authenticator.service.js';
import { attachPrincipal } from './principal.js';

export const ADMIN_SCOPE = 'admin';

/** A user's own Bearer access token (self-service endpoints). */
@Injectable()
export class UserBearerGuard implements CanActivate {
  constructor(private readonly authenticator: BearerAuthenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = await this.authenticator.authenticate(resourceRequestOf(request));
    // A client_credentials token speaks for no user: it has no sessions of its own.
    if (principal.userId === undefined) {
      throw new OAuthError('invalid_token', 'the access token does not represent a user', bearerChallenge('invalid_token'));
    }
    attachPrincipal(request, principal);
    return true;
  }
}

/**
 * The admin API: a Bearer token with scope admin, of a user who still has the admin role
 * and is enabled (read at most REVOCATION_MAX_STALENESS_MS ago), so removing the role
 * takes effect without waiting for the user's tokens to expire.
 */
@Injectable()
export class AdminBearerGuard implements CanActivate {
  constructor(
    private readonly authenticator: BearerAuthenticator,
    private readonly users: UsersService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = await this.authenticator.authenticate(resourceRequestOf(request));
    const user = principal.userId === undefined ? undefined : await this.users.findRecent(principal.userId);
    if (!principal.scope.includes(ADMIN_SCOPE) || !user || user.disabledAt !== null || !user.roles.includes(ADMIN_ROLE)) {
      // RFC 6750 §3.1: 403 insufficient_scope, naming the scope required.
      throw new OAuthError(
        'insufficient_scope',
        'this endpoint requires the admin scope of a user with the admin role',
        bearerChallenge('insufficient_scope', `, scope="${ADMIN_SCOPE}"`),
      );
    }
    attachPrincipal(request, principal);
    return true;
  }
}
