import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LoginFormCheck } from './login-form.js';

/** The second step's post: the same checks as the login form's (origin, login CSRF token, the request again). */
@Injectable()
export class InteractionSecondFactorGuard implements CanActivate {
  constructor(private readonly forms: LoginFormCheck) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    await this.forms.check(context.switchToHttp().getRequest<FastifyRequest>());
    return true;
  }
}
