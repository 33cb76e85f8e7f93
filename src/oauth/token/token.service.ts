import { Inject, Injectable } from '@nestjs/common';
import { OAuthError } from '../errors/oauth-error.js';
import { GRANT_HANDLERS, type GrantHandler, type TokenRequest, type TokenResponse } from './grant-handler.js';

@Injectable()
export class TokenService {
  private readonly handlers: ReadonlyMap<string, GrantHandler>;

  constructor(@Inject(GRANT_HANDLERS) handlers: GrantHandler[]) {
    this.handlers = new Map(handlers.map((handler) => [handler.grantType, handler]));
  }

  async exchange(grantType: string, request: TokenRequest): Promise<TokenResponse> {
    const handler = this.handlers.get(grantType);
    if (!handler) throw new OAuthError('unsupported_grant_type', 'the grant type is not supported');
    if (!request.client.grantTypes.includes(handler.grantType)) {
      throw new OAuthError('unauthorized_client', 'the client is not registered for this grant type');
    }
    // RFC 9449 §5.2 dpop_bound_access_tokens: such a client never gets a Bearer token.
    if (request.client.requireDpop && request.dpopJkt === undefined) {
      throw new OAuthError('invalid_dpop_proof', 'this client must send a DPoP proof (RFC 9449)');
    }
    return handler.handle(request);
  }

  get grantTypes(): string[] {
    return [...this.handlers.keys()];
  }
}
