import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { type SessionForm, SessionFormCheck } from '../interaction/guards/session-form.js';

/** session undefined: no live login session, and so nothing to change (the controller sends the login page) */
export type AccountFormContext = SessionForm;

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
  constructor(private readonly forms: SessionFormCheck) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    contexts.set(request, await this.forms.check(request));
    return true;
  }
}
