import { type ArgumentsHost, Catch, Inject } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { ExceptionRenderer } from '../http/exception.filter.js';
import { AuthorizationError } from '../oauth/authorization/authorization-error.js';
import { errorLocation } from '../oauth/authorization/authorization-response.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';
import { interactionContextOf } from './interaction-context.js';
import { InteractionPages } from './interaction-pages.service.js';

const WRONG_CREDENTIALS = 'Wrong username or password.';

/**
 * The errors of the authorization endpoint and its pages, for a person in a browser:
 * an error the client may hear of is redirected to it (RFC 6749 §4.1.2.1); any other
 * is Tessera's error page, never a redirect. A failed login shows the form again with
 * one message. Any other failure (a 500 included) is the error page too, its detail only
 * in the log.
 */
@Catch()
export class InteractionErrorFilter extends ExceptionRenderer {
  constructor(
    private readonly pages: InteractionPages,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
  ) {
    super(pages);
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const request = host.switchToHttp().getRequest<FastifyRequest>();
    if (exception instanceof AuthorizationError) {
      const location = errorLocation(exception, this.config.issuer);
      if (location) return this.pages.redirect(reply, location, request.method !== 'GET');
      return this.pages.error(reply, 400, exception.code, exception.description);
    }
    if (exception instanceof OAuthError) {
      const login = request.url.includes('/interaction/login') ? interactionContextOf(request) : undefined;
      if (login && (exception.code === 'invalid_grant' || exception.code === 'invalid_request' || exception.status === 429)) {
        // The login throttle's answer keeps its status and Retry-After; the message is the form's.
        void reply.headers(exception.headers);
        const message = exception.code === 'invalid_grant' ? WRONG_CREDENTIALS : exception.description;
        return this.pages.login(reply, login.request, { status: exception.status, message, username: login.form.get('username'), csrfCookie: login.form.get('csrf_token') });
      }
    }
    const error = this.settle(exception, host);
    void reply.headers(error.headers);
    this.pages.error(reply, error.status, error.code, error.description);
  }
}
