import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RequestCookies } from '../browser/cookies.js';
import { CsrfTokens } from '../browser/csrf-tokens.js';
import { forbidden } from '../browser/request-checks.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { checkFormCsrf, checkFormOrigin, postedForm } from '../interaction/guards/form-checks.js';
import type { FormParams } from '../oauth/form/form-params.js';
import type { ConsolePages } from './console-pages.js';
import { type ConsoleAdmin, ConsoleSignIn } from './console-sign-in.service.js';

/** admin undefined: no live console session (the controller sends the browser to sign in). */
export interface ConsoleForm {
  readonly admin: ConsoleAdmin | undefined;
  readonly form: FormParams;
  /** the confirmation box was ticked */
  readonly confirmed: boolean;
}

const forms = new WeakMap<FastifyRequest, ConsoleForm>();

export function consoleFormOf(request: FastifyRequest): ConsoleForm {
  const form = forms.get(request);
  if (!form) throw new Error('the console form guard did not run');
  return form;
}

/**
 * The admin of a confirmed post; otherwise the answer is sent and nothing changes: sign
 * in again without a console session, or back to the page `back()` names (it may refuse
 * an id that names nothing) with "tick the confirmation box".
 */
export function confirmedAdmin(pages: ConsolePages, reply: FastifyReply, form: ConsoleForm, back: () => string): ConsoleAdmin | undefined {
  if (!form.admin) {
    pages.redirect(reply, `${pages.base}/console`);
    return undefined;
  }
  if (!form.confirmed) {
    pages.redirect(reply, `${pages.base}${back()}`, 'confirm-required');
    return undefined;
  }
  return form.admin;
}

/**
 * Every post of the console, before anything is read or changed: from Tessera's own page
 * (Origin and Fetch Metadata), by a signed-in admin (else a 403 page), with the CSRF
 * token the page was given for that console session (OWASP signed token).
 */
@Injectable()
export class ConsoleFormGuard implements CanActivate {
  private readonly issuerOrigin: string;

  constructor(
    private readonly signIn: ConsoleSignIn,
    private readonly csrf: CsrfTokens,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.issuerOrigin = new URL(config.issuer).origin;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    checkFormOrigin(request, this.issuerOrigin);
    const form = postedForm(request.body);
    const admin = await this.signIn.current(RequestCookies.from(request.headers.cookie).one(this.signIn.cookie.name));
    if (admin === 'not-admin') throw forbidden('the console is for administrators only');
    if (admin) checkFormCsrf(this.csrf, form, { kind: 'console', sessionId: admin.session.id });
    forms.set(request, { admin, form, confirmed: form.get('confirm') === 'yes' });
    return true;
  }
}
