import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** Who a verified Bearer access token speaks for (RFC 6750, RFC 9068 §2.2). */
export interface Principal {
  /** the user, when a user logged in; undefined for client_credentials tokens */
  readonly userId: string | undefined;
  readonly clientId: string;
  readonly scope: readonly string[];
  /** the family (login session) the token belongs to */
  readonly sid: string | undefined;
  readonly jti: string | undefined;
}

const PRINCIPALS = new WeakMap<object, Principal>();

export function attachPrincipal(request: object, principal: Principal): void {
  PRINCIPALS.set(request, principal);
}

export function principalOf(request: object): Principal {
  const principal = PRINCIPALS.get(request);
  // Only reachable when a route forgot its guard: fail closed.
  if (!principal) throw new Error('no authenticated principal on this request');
  return principal;
}

/** The principal the route's Bearer guard verified. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext) =>
  principalOf(context.switchToHttp().getRequest<object>()),
);

/** The actor recorded in the audit log and on revoked families. */
export function actorOf(principal: Principal): string {
  return principal.userId === undefined ? `client:${principal.clientId}` : `user:${principal.userId}`;
}
