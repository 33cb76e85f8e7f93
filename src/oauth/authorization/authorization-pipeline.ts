import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { ClientsService } from '../../clients/clients.service.js';
import { parseScope } from '../scope.js';
import type { Client } from '../../clients/client.js';
import { AuthorizationError, invalidRequest } from './authorization-error.js';
import type { AuthorizationRequest, Parameters } from './authorization-request.js';
import { checkClient, checkClientId } from './checks/check-client.js';
import { checkRedirectUri } from './checks/check-redirect-uri.js';
import {
  checkLoginHint,
  checkMaxAge,
  checkNonce,
  checkPkce,
  checkDpopJkt,
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
import { PushedRequestsService } from './pushed-requests.service.js';

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
  checkDpopJkt,
  checkNonce,
  checkPrompt,
  checkMaxAge,
  checkLoginHint,
];

/**
 * The authorization endpoint's checks, composed in one place (after node-oidc-provider's
 * lib/actions/authorization/index.js), so that which errors may redirect is visible:
 *
 *   1. client_id, the client, its pushed request (request_uri), the redirect URI: an error is Tessera's
 *      own page (400), never a redirect;
 *   2. then REDIRECTABLE_CHECKS: an error goes to the redirect URI with state and iss.
 */
@Injectable()
export class AuthorizationPipeline {
  private readonly parRequired: boolean;

  constructor(
    private readonly clients: ClientsService,
    private readonly pushedRequests: PushedRequestsService,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.parRequired = config.requirePar;
  }

  async run(raw: Parameters): Promise<AuthorizationRequest> {
    const client = checkClient(await this.clients.findById(checkClientId(raw)));
    const requestUri = raw.get('request_uri');
    const params = requestUri === undefined ? raw : withClientId(await this.pushedRequests.load(requestUri, client), client.id);
    const checked = this.check(params, client, requestUri !== undefined);
    const maxAge = params.get('max_age');
    return {
      ...checked,
      client,
      scope: params.has('scope') ? parseScope(params.get('scope'))! : undefined,
      codeChallenge: params.get('code_challenge')!,
      dpopJkt: params.get('dpop_jkt'),
      nonce: params.get('nonce'),
      prompt: parsePrompt(params.get('prompt'))!,
      maxAge: maxAge === undefined ? undefined : parseMaxAge(maxAge),
      loginHint: params.get('login_hint'),
      // RFC 9126 §4: with a request_uri, only the pushed parameters count.
      carried: requestUri === undefined ? raw : new Map([['client_id', client.id], ['request_uri', requestUri]]),
      requestUri,
    };
  }

  /**
   * RFC 9126 §2.1: a pushed request passes the same checks as one sent to /authorize,
   * for the client that authenticated; its errors are the caller's JSON, never a redirect.
   */
  validatePushed(params: Parameters, client: Client): Parameters {
    if (params.has('request_uri')) throw invalidRequest('request_uri may not be pushed');
    const clientId = params.get('client_id');
    if (clientId !== undefined && clientId !== client.id) throw invalidRequest('client_id is not the authenticated client');
    const pushed = withClientId(params, client.id);
    this.check(pushed, checkClient(client), true);
    return pushed;
  }

  private check(params: Parameters, client: Client, pushed: boolean): { redirectUri: string; redirectUriSent: boolean; state: string | undefined } {
    const { redirectUri, sent } = checkRedirectUri(params, client);
    const state = params.get('state');
    const redirect = { redirectUri, state: state !== undefined && state.length <= MAX_STATE ? state : undefined };
    try {
      for (const check of REDIRECTABLE_CHECKS) check({ params, client, pushed, parRequired: this.parRequired });
    } catch (error) {
      if (error instanceof AuthorizationError) throw error.redirectingTo(redirect);
      throw error;
    }
    return { redirectUri, redirectUriSent: sent, state: redirect.state };
  }
}

function withClientId(params: Parameters, clientId: string): Parameters {
  return new Map([...params, ['client_id', clientId]]);
}
