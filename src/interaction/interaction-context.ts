import type { FastifyRequest } from 'fastify';
import type { AuthorizationRequest } from '../oauth/authorization/authorization-request.js';
import type { FormParams } from '../oauth/form/form-params.js';
import type { LoginSession } from './login-session.js';

/** What the interaction guards established before the password or the decision is looked at. */
export interface InteractionContext {
  readonly request: AuthorizationRequest;
  readonly session: LoginSession | undefined;
  readonly form: FormParams;
}

const contexts = new WeakMap<FastifyRequest, InteractionContext>();

export function setInteractionContext(request: FastifyRequest, context: InteractionContext): void {
  contexts.set(request, context);
}

/** Undefined when the guards stopped before the authorization request was proven. */
export function interactionContextOf(request: FastifyRequest): InteractionContext | undefined {
  return contexts.get(request);
}
