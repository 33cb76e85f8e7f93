import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { authorizationParameters } from '../../oauth/authorization/authorization-parameters.js';
import { AuthorizationPipeline } from '../../oauth/authorization/authorization-pipeline.js';
import { setInteractionContext } from '../interaction-context.js';
import { SessionFormCheck } from './session-form.js';

/**
 * The consent form's post: from Tessera's own page, in a live login session (its cookie
 * is SameSite=Lax: never sent on a cross-site post), with the CSRF token the page was
 * given for that session, and an authorization request that passes every check again.
 */
@Injectable()
export class InteractionConsentGuard implements CanActivate {
  constructor(
    private readonly forms: SessionFormCheck,
    private readonly pipeline: AuthorizationPipeline,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const { session, form } = await this.forms.check(request);
    const authorization = await this.pipeline.run(authorizationParameters(form));
    setInteractionContext(request, { request: authorization, session, form });
    return true;
  }
}
