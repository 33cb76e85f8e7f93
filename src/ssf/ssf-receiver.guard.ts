import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { BearerAuthenticator, bearerChallenge, resourceRequestOf } from '../auth-guard/bearer-authenticator.service.js';
import { attachPrincipal } from '../auth-guard/principal.js';
import { INTROSPECT_PERMISSION } from '../clients/client.js';
import { ClientsService } from '../clients/clients.service.js';
import { OAuthError } from '../oauth/errors/oauth-error.js';

export const SSF_SCOPE = 'ssf';

/**
 * An SSF receiver (SSF 1.0 §7.1.1, spec_urn RFC 6749): a client's own access token
 * (client_credentials, no user) with scope ssf, of a client that still has the introspect
 * permission: the resource servers that may learn of every revocation.
 */
@Injectable()
export class SsfReceiverGuard implements CanActivate {
  constructor(
    private readonly authenticator: BearerAuthenticator,
    private readonly clients: ClientsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = await this.authenticator.authenticate(resourceRequestOf(request));
    const client = principal.userId === undefined ? await this.clients.findRecent(principal.clientId) : undefined;
    if (!principal.scope.includes(SSF_SCOPE) || !client?.permissions.includes(INTROSPECT_PERMISSION)) {
      throw new OAuthError(
        'insufficient_scope',
        'this endpoint requires a client token with scope ssf, of a client with the introspect permission',
        bearerChallenge('insufficient_scope', `, scope="${SSF_SCOPE}"`),
      );
    }
    attachPrincipal(request, principal);
    return true;
  }
}
