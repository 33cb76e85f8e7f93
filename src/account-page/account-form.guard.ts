import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RequestCookies } from '../browser/cookies.js';
import { CsrfTokens } from '../browser/csrf-tokens.js';
import { forbidden } from '../browser/request-checks.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { checkFormOrigin, postedForm } from '../interaction/guards/form-checks.js';
import type { LoginSession } from '../interaction/login-session.js';
import { LoginSessionsService } from '../interaction/login-sessions.service.js';
import { SESSION_COOKIE } from '../interaction/session-cookie.js';
import type { FormParams } from '../oauth/form/form-params.js';

export interface AccountFormContext {
  /** undefined: no live login session, and so nothing to change (the controller sends the login page) */
  readonly session: LoginSession | undefined;
  readonly form: FormParams;
}

const contexts = new WeakMap<FastifyRequest, AccountFormContext>();

export function accountFormOf(request: FastifyRequest): AccountFormContext {
  const context = contexts.get(request);
  if (!context) throw new Error('the account form guard did not run');
  return context;
}

/**
 * Every post of the account page, before anything is read or changed: from Tessera's own
 * page (Origin and Fetch Metadata, as the login form), and, in a live login session, with
 * the CSRF token the page was given for that session (OWASP signed token; the session
 * cookie is SameSite=Lax, never sent on a cross-site post either).
 */
@Injectable()
export class AccountFormGuard implements CanActivate {
  private readonly issuerOrigin: string;

  constructor(
    private readonly csrf: CsrfTokens,
    private readonly sessions: LoginSessionsService,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.issuerOrigin = new URL(config.issuer).origin;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    checkFormOrigin(request, this.issuerOrigin);
    const form = postedForm(request.body);
    const session = await this.sessions.current(RequestCookies.from(request.headers.cookie).one(SESSION_COOKIE));
    const token = form.get('csrf_token');
    if (session && (token === undefined || !this.csrf.verify(token, { kind: 'login-session', sessionId: session.id }))) {
      throw forbidden('the form\'s CSRF token is missing or not valid: reload the page and try again');
    }
    contexts.set(request, { session, form });
    return true;
  }
}
