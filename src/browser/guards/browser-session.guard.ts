import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { isBrowserClient } from '../browser-client.js';
import { setSessionContext } from '../browser-context.js';
import { BrowserOrigins } from '../browser-origins.service.js';
import { BrowserSessionsService } from '../browser-sessions.service.js';
import { RequestCookies } from '../cookies.js';
import { CsrfTokens, familyBinding } from '../csrf-tokens.js';
import { forbidden, requiredOrigin, submittedCsrfToken } from '../request-checks.js';

/**
 * /auth/refresh and /auth/logout act on the session of the refresh cookie, so they
 * demand a same-site request from an origin registered for that session's client and
 * a double-submitted CSRF token of that very family. A failure is a 403 before the
 * token core is touched. Without a cookie of a live family nothing can change, but the
 * origin must still be a registered one.
 */
@Injectable()
export class BrowserSessionGuard implements CanActivate {
  constructor(
    private readonly sessions: BrowserSessionsService,
    private readonly origins: BrowserOrigins,
    private readonly csrf: CsrfTokens,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const origin = requiredOrigin(request);
    const cookies = RequestCookies.from(request.headers.cookie);
    // A family that is over is answered like no session at all (see resolve).
    const session = await this.sessions.resolve(cookies);
    if (!session) {
      if (!(await this.origins.isBrowserOrigin(origin))) throw forbidden('the Origin is not registered for a browser client');
      setSessionContext(request, { session: undefined, csrfToken: undefined });
      return true;
    }
    const { client } = session;
    if (!client || !isBrowserClient(client) || !client.allowedOrigins.includes(origin)) {
      throw forbidden('the Origin is not registered for the client of this session');
    }
    const token = submittedCsrfToken(request, cookies);
    if (!this.csrf.verify(token, familyBinding(session.family.id))) throw forbidden('the CSRF token is not this session\'s');
    setSessionContext(request, { session: { ...session, client }, csrfToken: token });
    return true;
  }
}
