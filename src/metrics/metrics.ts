export type TokenKind = 'access_token' | 'refresh_token';
/** the in-process caches introspection reads before the database */
export type IntrospectionCache = 'verified_token' | 'username' | 'opaque_token';
/** delivered; retried (an error answer), timeout: tried again later; expired, refused (forbidden address): given up */
export type BackchannelResult = 'delivered' | 'retried' | 'timeout' | 'expired' | 'refused';

/** One completed HTTP request, as the route histogram sees it. */
export interface CompletedRequest {
  readonly method: string;
  /** the route pattern (`/admin/users/:id`), never the URL; undefined when no route matched */
  readonly route: string | undefined;
  readonly status: number;
  readonly seconds: number;
}

/**
 * What Tessera counts, as its services see it: a port, so that sessions, tokens and
 * introspection depend on these few calls and not on a metrics library. Each call is
 * made where the event happens and costs a counter increment.
 */
export abstract class Metrics {
  /** a token handed out by a grant (browser logins and refreshes are password and refresh_token) */
  abstract tokenIssued(grantType: string, kind: TokenKind): void;
  /** a refresh token exchanged for a new successor */
  abstract refreshRotated(): void;
  /** a repeated refresh answered with the same successor inside REFRESH_REUSE_GRACE */
  abstract refreshGraceHit(): void;
  abstract refreshReuseDetected(reason: string): void;
  /** families (sessions) ended, by the reason they ended for */
  abstract sessionsRevoked(reason: string, count: number): void;
  /** an access token revoked by itself (RFC 7009), by its format */
  abstract accessTokenRevoked(format: 'jwt' | 'opaque'): void;
  /** a lookup in one of the introspection caches (verified JWTs, user names, opaque tokens' rows) */
  abstract introspectionCache(cache: IntrospectionCache, hit: boolean): void;
  abstract requestCompleted(request: CompletedRequest): void;
  /** one attempt to POST a back-channel logout token, by how it ended */
  abstract backchannelDelivery(result: BackchannelResult): void;
  /** back-channel logout tokens neither delivered nor given up, as last read */
  abstract backchannelQueueDepth(depth: number): void;
  /** a probe notification the revocation listener sent itself came back in time, or did not */
  abstract listenProbe(returned: boolean): void;
  /** how to read, at scrape time, the revocation view's age and the age past which it is not trusted */
  abstract revocationView(read: () => RevocationViewAge): void;
  /** a JWT the revocation view could not answer from memory (its overflow filter did not rule it out), checked in the database */
  abstract revocationViewDatabaseCheck(): void;
  /** how to read, at scrape time, the seconds this process's own clock is behind the database's */
  abstract clockOffset(read: () => number): void;
}

export interface RevocationViewAge {
  /** since the last successful read of the revocation feed (before the first: since the process started) */
  readonly ageSeconds: number;
  /** REVOCATION_MAX_STALENESS_MS: older than this, introspection answers 503 */
  readonly maxAgeSeconds: number;
  /** revocations held exactly (at most REVOCATION_VIEW_MAX_ENTRIES) */
  readonly entries: number;
  /** revocations held only in the overflow filter (a mass logout) */
  readonly overflowEntries: number;
}
