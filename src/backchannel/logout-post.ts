import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ForbiddenAddressError, literalHostForbidden, publicOnlyLookup } from './address-guard.js';

export type PostOutcome =
  | { readonly kind: 'delivered' }
  /** a status other than 200/204, a refused connection, a TLS or DNS failure: worth another try */
  | { readonly kind: 'failed'; readonly error: string }
  | { readonly kind: 'timeout' }
  /** not sent: the endpoint resolves to an address this deployment may not call, or is no longer registered */
  | { readonly kind: 'refused'; readonly reason: 'forbidden_address' | 'unregistered'; readonly error: string };

export interface PostOptions {
  readonly timeoutMs: number;
  /** production without BACKCHANNEL_ALLOW_PRIVATE_NETWORKS: only public addresses */
  readonly publicOnly: boolean;
}

/**
 * Back-Channel Logout 1.0 §2.5: `logout_token=<JWT>` as a form POST to the registered URL
 * exactly, nothing else. The RP answers 200 (or 204) on success (§2.8). Redirects are never
 * followed (node's http never does): a 3xx is a failure. The whole exchange, connection
 * included, is bounded by the timeout.
 */
export function postLogoutToken(endpoint: string, logoutToken: string, options: PostOptions): Promise<PostOutcome> {
  const url = new URL(endpoint);
  if (options.publicOnly && literalHostForbidden(url.hostname)) {
    return Promise.resolve({ kind: 'refused', reason: 'forbidden_address', error: new ForbiddenAddressError(url.hostname).message });
  }
  const body = new URLSearchParams({ logout_token: logoutToken }).toString();
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const requestOptions: RequestOptions = {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' },
    ...(options.publicOnly ? { lookup: publicOnlyLookup } : {}),
    agent: false,
  };
  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    const settle = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    // The status is the acknowledgement (§2.8); the body says nothing more and is not read.
    const outgoing = request(url, requestOptions, (response) => {
      const status = response.statusCode ?? 0;
      settle(status === 200 || status === 204 ? { kind: 'delivered' } : { kind: 'failed', error: `HTTP ${status}` });
      response.destroy();
    });
    const timer = setTimeout(() => {
      settle({ kind: 'timeout' });
      outgoing.destroy();
    }, options.timeoutMs);
    timer.unref();
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof ForbiddenAddressError || error.code === 'ETESSERA_FORBIDDEN_ADDRESS') settle({ kind: 'refused', reason: 'forbidden_address', error: error.message });
      else settle({ kind: 'failed', error: error.code ?? error.message });
    });
    outgoing.end(body);
  });
}
