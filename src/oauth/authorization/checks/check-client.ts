import type { Client } from '../../../clients/client.js';
import { CLIENT_ID } from '../../../clients/client-rules.js';
import { AuthorizationError, invalidRequest } from '../authorization-error.js';
import type { Parameters } from '../authorization-request.js';

/** The client_id of the request, well-formed; an error page otherwise. */
export function checkClientId(params: Parameters): string {
  const id = params.get('client_id');
  if (id === undefined) throw invalidRequest('missing parameter: client_id');
  if (!CLIENT_ID.test(id)) throw new AuthorizationError('invalid_client', 'no such client');
  return id;
}

/** The client exists and may use this endpoint; an error page otherwise (its redirect URIs are not trusted yet). */
export function checkClient(client: Client | undefined): Client {
  if (!client) throw new AuthorizationError('invalid_client', 'no such client');
  if (!client.grantTypes.includes('authorization_code')) {
    throw new AuthorizationError('unauthorized_client', 'the client is not registered for the authorization_code grant');
  }
  return client;
}
