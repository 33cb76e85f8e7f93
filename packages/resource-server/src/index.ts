export { bearerToken } from './bearer.js';
export { BearerError, type BearerErrorCode, bearerResponse, type BearerResponse } from './errors.js';
export { DEFAULT_ALGORITHMS, type IntrospectionOptions, type ResourceServerOptions } from './options.js';
export type { Principal } from './principal.js';
export { requireScopes, ResourceServer } from './resource-server.js';
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
