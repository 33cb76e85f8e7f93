export { bearerToken, tokenCredentials } from './bearer.js';
export { accessTokenHash, normalizeHtu } from './dpop-proof.js';
export { type DpopReplayStore, MemoryReplayStore } from './dpop-replay.js';
export { type AuthScheme, BearerError, type BearerErrorCode, bearerResponse, type BearerResponse } from './errors.js';
export {
  DEFAULT_ALGORITHMS,
  DEFAULT_DPOP_ALGORITHMS,
  type DpopOptions,
  type IntrospectionOptions,
  type ResourceServerOptions,
} from './options.js';
export type { Principal } from './principal.js';
export { publicRequestUrl, type PublicUrlOptions } from './request-url.js';
export { type ProtectedRequest, requireScopes, ResourceServer } from './resource-server.js';
export {
  type RevocableToken,
  type Revocation,
  type RevocationKind,
  type RevocationSource,
  RevocationView,
  type RevocationViewOptions,
} from './revocation-view.js';
export { RevocationFeed, type RevocationFeedOptions, revocationsOf } from './revocation-feed.js';
export { SsfHttpError } from './ssf-client.js';
