import { Injectable } from '@nestjs/common';
import { ClientsService } from '../../clients/clients.service.js';
import { parseScope } from '../scope.js';
import { AuthorizationError } from './authorization-error.js';
import type { AuthorizationRequest, Parameters } from './authorization-request.js';
import { checkClient, checkClientId } from './checks/check-client.js';
import { checkRedirectUri } from './checks/check-redirect-uri.js';
import {
  checkLoginHint,
  checkMaxAge,
  checkNonce,
  checkPkce,
  checkPrompt,
  checkRequirePar,
  checkResponseMode,
  checkResponseType,
  checkScope,
  checkState,
  type CheckInput,
  MAX_STATE,
  parseMaxAge,
  parsePrompt,
} from './checks/request-checks.js';

/**
 * The checks whose errors are sent back to the client, in the order they run. Each is
 * a plain function of the parameters and the client (checks/request-checks.ts).
 */
const REDIRECTABLE_CHECKS: ReadonlyArray<(input: CheckInput) => void> = [
  checkState,
  checkRequirePar,
  checkResponseType,
  checkResponseMode,
  checkScope,
  checkPkce,
  checkNonce,
  checkPrompt,
  checkMaxAge,
  checkLoginHint,
];

/**
 * The authorization endpoint's checks, composed in one place (after node-oidc-provider's
 * lib/actions/authorization/index.js), so that which errors may redirect is visible:
 *
 *   1. client_id, the client, its request_uri, the redirect URI: an error is Tessera's
 *      own page (400), never a redirect;
 *   2. then REDIRECTABLE_CHECKS: an error goes to the redirect URI with state and iss.
 */
@Injectable()
export class AuthorizationPipeline {
  constructor(private readonly clients: ClientsService) {}

  async run(raw: Parameters): Promise<AuthorizationRequest> {
    const client = checkClient(await this.clients.findById(checkClientId(raw)));
    const { params, pushed } = this.loadPushedRequest(raw);
    const { redirectUri, sent } = checkRedirectUri(params, client);
    const state = params.get('state');
    const redirect = { redirectUri, state: state !== undefined && state.length <= MAX_STATE ? state : undefined };
    try {
      for (const check of REDIRECTABLE_CHECKS) check({ params, client, pushed });
    } catch (error) {
      if (error instanceof AuthorizationError) throw error.redirectingTo(redirect);
      throw error;
    }
    const scope = params.has('scope') ? parseScope(params.get('scope'))! : undefined;
    const maxAge = params.get('max_age');
    return {
      client,
      redirectUri,
      redirectUriSent: sent,
      scope,
      state: redirect.state,
      codeChallenge: params.get('code_challenge')!,
      nonce: params.get('nonce'),
      prompt: parsePrompt(params.get('prompt'))!,
      maxAge: maxAge === undefined ? undefined : parseMaxAge(maxAge),
      loginHint: params.get('login_hint'),
      carried: raw,
    };
  }

  /** RFC 9126 §4: the pushed parameters stand in for the request's own. */
  private loadPushedRequest(raw: Parameters): { params: Parameters; pushed: boolean } {
    if (raw.has('request_uri')) throw new AuthorizationError('invalid_request_uri', 'pushed authorization requests are not supported');
    return { params: raw, pushed: false };
  }
}
