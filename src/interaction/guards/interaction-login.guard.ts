import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { setLoginContext } from '../../browser/browser-context.js';
import { OAuthError } from '../../oauth/errors/oauth-error.js';
import { passwordWithinLimit } from '../../users/users.service.js';
import { LoginFormCheck } from './login-form.js';

/**
 * Everything the login form's post is checked for before LocalAuthGuard looks at the
 * password (LoginFormCheck), then the two fields it reads.
 */
@Injectable()
export class InteractionLoginGuard implements CanActivate {
  constructor(private readonly forms: LoginFormCheck) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const { request: authorization, form } = await this.forms.check(request);
    const username = form.get('username');
    const password = form.get('password');
    if (username === undefined || password === undefined) throw OAuthError.invalidRequest('enter your username and password');
    if (!passwordWithinLimit(password)) throw OAuthError.invalidGrant('invalid username or password');
    setLoginContext(request, {
      client: authorization.client,
      params: { username, password, clientId: authorization.client.id, scope: undefined },
      replaced: undefined,
    });
    return true;
  }
}
