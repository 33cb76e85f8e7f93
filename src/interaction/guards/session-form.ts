import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RequestCookies } from '../../browser/cookies.js';
import { CsrfTokens } from '../../browser/csrf-tokens.js';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import type { FormParams } from '../../oauth/form/form-params.js';
import type { LoginSession } from '../login-session.js';
import { LoginSessionsService } from '../login-sessions.service.js';
import { SESSION_COOKIE } from '../session-cookie.js';
import { checkFormCsrf, checkFormOrigin, postedForm } from './form-checks.js';

export interface SessionForm {
  /** undefined: no live login session */
  readonly session: LoginSession | undefined;
  readonly form: FormParams;
}

/**
 * A form that a page shown in a login session posts back (consent, account): from
 * Tessera's own page (Origin and Fetch Metadata), and, in a live login session, with the
 * CSRF token the page was given for that session (OWASP signed token; the session cookie
 * is SameSite=Lax, never sent on a cross-site post either).
 */
@Injectable()
export class SessionFormCheck {
  private readonly issuerOrigin: string;

  constructor(
    private readonly csrf: CsrfTokens,
    private readonly sessions: LoginSessionsService,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.issuerOrigin = new URL(config.issuer).origin;
  }

  async check(request: FastifyRequest): Promise<SessionForm> {
    checkFormOrigin(request, this.issuerOrigin);
    const form = postedForm(request.body);
    const session = await this.sessions.current(RequestCookies.from(request.headers.cookie).one(SESSION_COOKIE));
    if (session) checkFormCsrf(this.csrf, form, { kind: 'login-session', sessionId: session.id });
    return { session, form };
  }
}
