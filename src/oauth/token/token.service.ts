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
    return handler.handle(request);
  }

  get grantTypes(): string[] {
    return [...this.handlers.keys()];
  }
}
