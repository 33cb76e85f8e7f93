import { Injectable } from '@nestjs/common';
import type { Client } from '../../clients/client.js';
import { CLIENT_ID } from '../../clients/client-rules.js';
import { ClientsService } from '../../clients/clients.service.js';
import { OAuthError } from '../../oauth/errors/oauth-error.js';
import type { FormParams } from '../../oauth/form/form-params.js';
import { type IdTokenHint, IdTokenHintVerifier } from '../../oauth/oidc/id-token-hint.verifier.js';
import type { LogoutRequest } from './logout-request.js';

// Generous for any RP's state, short enough to keep the redirect's Location header sane.
const MAX_STATE_LENGTH = 2000;

/**
 * The checks of a logout request (RP-Initiated Logout 1.0 §2, §4), in order: the hint,
 * the client, the post-logout redirect URI, state. Each failure is an error page, never a
 * redirect: §4 forbids post-logout redirection when the request has an error.
 */
@Injectable()
export class LogoutPipeline {
  constructor(
    private readonly verifier: IdTokenHintVerifier,
    private readonly clients: ClientsService,
  ) {}

  async run(params: FormParams): Promise<LogoutRequest> {
    const hint = await this.checkIdTokenHint(params.get('id_token_hint'));
    const client = await this.checkClient(params.get('client_id'), hint);
    const postLogoutRedirectUri = checkPostLogoutRedirectUri(params.get('post_logout_redirect_uri'), client, params.has('client_id') || hint !== undefined);
    return { hint, client, postLogoutRedirectUri, state: checkState(params.get('state')) };
  }

  /** §2: an ID token this OP issued; one it did not (another key, another issuer, an access token) is an error. */
  private async checkIdTokenHint(raw: string | undefined): Promise<IdTokenHint | undefined> {
    if (raw === undefined) return undefined;
    const hint = await this.verifier.verify(raw);
    if (!hint) throw OAuthError.invalidRequest('id_token_hint is not an ID token issued by this server');
    return hint;
  }

  /**
   * §2: client_id must name a registered client and, with a hint, be one of its audiences.
   * Without client_id the hint's single audience is the client; a deleted client is none.
   */
  private async checkClient(clientId: string | undefined, hint: IdTokenHint | undefined): Promise<Client | undefined> {
    if (clientId !== undefined) {
      const client = CLIENT_ID.test(clientId) ? await this.clients.findById(clientId) : undefined;
      if (!client) throw OAuthError.invalidRequest('client_id names no registered client');
      if (hint && !hint.aud.includes(client.id)) throw OAuthError.invalidRequest('the id_token_hint was not issued to this client_id');
      return client;
    }
    if (hint?.aud.length !== 1) return undefined;
    return this.clients.findById(hint.aud[0]);
  }
}

/** §3: followed only when it equals, as a string, one the client registered (§3.1). */
function checkPostLogoutRedirectUri(uri: string | undefined, client: Client | undefined, clientNamed: boolean): string | undefined {
  if (uri === undefined) return undefined;
  if (!clientNamed) throw OAuthError.invalidRequest('post_logout_redirect_uri needs id_token_hint or client_id to say whose it is');
  if (!client?.postLogoutRedirectUris.includes(uri)) {
    throw OAuthError.invalidRequest('post_logout_redirect_uri is not registered for this client');
  }
  return uri;
}

function checkState(state: string | undefined): string | undefined {
  if (state !== undefined && state.length > MAX_STATE_LENGTH) throw OAuthError.invalidRequest(`state is longer than ${MAX_STATE_LENGTH} characters`);
  return state;
}
