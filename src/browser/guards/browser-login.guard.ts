import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ClientsService } from '../../clients/clients.service.js';
import { OAuthError } from '../../oauth/errors/oauth-error.js';
import { isBrowserClient } from '../browser-client.js';
import { setLoginContext } from '../browser-context.js';
import { BrowserSessionsService } from '../browser-sessions.service.js';
import { RequestCookies } from '../cookies.js';
import { CsrfTokens, familyBinding, LOGIN_BINDING } from '../csrf-tokens.js';
import { loginParams } from '../login-params.js';
import { forbidden, requiredOrigin, submittedCsrfToken } from '../request-checks.js';

/**
 * Everything /auth/login checks before a password is even looked at: a same-site
 * request, from an origin registered for the browser client it names, carrying a
 * double-submitted CSRF token meant for logging in (or for the session it replaces).
 */
@Injectable()
export class BrowserLoginGuard implements CanActivate {
  constructor(
    private readonly clients: ClientsService,
    private readonly sessions: BrowserSessionsService,
    private readonly csrf: CsrfTokens,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const origin = requiredOrigin(request);
    const params = loginParams(request.body);
    const client = await this.clients.findById(params.clientId);
    if (!client) throw OAuthError.invalidClient(false);
    if (!isBrowserClient(client)) {
      throw new OAuthError('unauthorized_client', 'the client is not registered for browser sessions');
    }
    if (!client.allowedOrigins.includes(origin)) throw forbidden('the Origin is not registered for this client');
    const cookies = RequestCookies.from(request.headers.cookie);
    const token = submittedCsrfToken(request, cookies);
    const replaced = (await this.sessions.resolve(cookies))?.family;
    const valid = this.csrf.verify(token, LOGIN_BINDING) || (replaced !== undefined && this.csrf.verify(token, familyBinding(replaced.id)));
    if (!valid) throw forbidden('the CSRF token is not valid for logging in');
    setLoginContext(request, { client, params, replaced });
    return true;
  }
}
