import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../../common/clock.js';
import { LruCache } from '../../common/lru-cache.js';
import { TokenHashers } from '../../common/token-hashers.js';
import { WriteGroups } from '../../common/write-groups.js';
import type { ResolvedConfig } from '../../config/config.js';
import { CONFIG } from '../../config/config.module.js';
import { Metrics } from '../../metrics/metrics.js';
import { type RevocableToken, RevocationView } from '../../sessions/revocation-view.service.js';
import { UsersService } from '../../users/users.service.js';
import {
  AccessTokenStore,
  type JtiRevocation,
  type OpaqueAccessTokenRecord,
  type OpaqueRevocation,
  type RevokedOpaqueToken,
  type Revoker,
} from './access-token.js';
import type { AccessTokenClaims } from './access-token.verifier.js';
import type { TokenDescription } from './token-description.js';

const MAX_REVOCATIONS_A_WRITE = 1_000;

/** An opaque revocation waiting for its group's write, which says what it revoked, if anything. */
interface PendingOpaqueRevocation extends OpaqueRevocation {
  revoked?: RevokedOpaqueToken;
}

/**
 * Whether an access token is active (CONTRACT "POST /oauth/introspect"): its signature,
 * iss and exp hold, its family is alive, its user is enabled, and it was not revoked
 * itself. Both formats are judged from the in-process RevocationView, with no database
 * round trip in the steady state: a JWT carries its claims, and an opaque token's row is
 * read once and then kept (see findOpaque). Both are revoked by jti.
 */
@Injectable()
export class AccessTokenStatus {
  /** user id → username; usernames never change, and disabling is the view's business */
  private readonly usernames: LruCache<string, string>;
  /**
   * keyed hash → the opaque token's row as last read. What a row holds never changes but
   * for what ends the token, and an ending is final: a row read while alive is then judged
   * by the view, which hears of every later ending (the token's jti, its family, its user,
   * its client) on every process; one read already ended stays ended.
   */
  private readonly opaqueRecords: LruCache<string, OpaqueAccessTokenRecord>;
  private readonly jtiRevocations = new WriteGroups<JtiRevocation>((revocations) => this.store.revokeJtis(revocations), MAX_REVOCATIONS_A_WRITE);
  private readonly opaqueRevocations = new WriteGroups<PendingOpaqueRevocation>(async (pending) => {
    const revoked = new Map((await this.store.revokeOpaque(pending)).map((token) => [keyOf(token.hash), token]));
    // A token presented twice in one group is revoked once: only its first caller says so.
    for (const item of pending) {
      const key = keyOf(item.hash);
      item.revoked = revoked.get(key);
      revoked.delete(key);
    }
  }, MAX_REVOCATIONS_A_WRITE);

  constructor(
    private readonly store: AccessTokenStore,
    private readonly hashers: TokenHashers,
    private readonly view: RevocationView,
    private readonly users: UsersService,
    private readonly metrics: Metrics,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.usernames = new LruCache(config.introspectionCacheSize);
    this.opaqueRecords = new LruCache(config.introspectionCacheSize);
  }

  /** The token's row, from memory when this process has read it before; unknown tokens are never kept. */
  async findOpaque(token: string): Promise<OpaqueAccessTokenRecord | undefined> {
    const hash = this.hashers.opaqueAccessToken.hash(token);
    const key = keyOf(hash);
    const cached = this.opaqueRecords.get(key);
    this.metrics.introspectionCache('opaque_token', cached !== undefined);
    if (cached !== undefined) return cached;
    const record = await this.store.findOpaque(hash);
    if (record !== undefined) this.opaqueRecords.set(key, record);
    return record;
  }

  /** The RFC 7662 members of a verified JWT access token, or undefined when it is not active. */
  async describeJwt(claims: AccessTokenClaims): Promise<TokenDescription | undefined> {
    // RFC 7519 §4.1.4: on or after exp the token MUST NOT be accepted.
    if (this.clock.now() >= claims.exp * 1000 || this.view.revoked(claims)) return undefined;
    let username: string | undefined;
    if (claims.sid !== undefined) {
      username = await this.username(claims.sub);
      if (username === undefined) return undefined;
    }
    // Only a token that would be active needs the view to be fresh; a stale view with the
    // database away is 503, never a guess (CONTRACT "Endpoints"). While the view reads a
    // backlog (a mass logout), the feed's table answers in its place.
    if (await this.view.isRevoked(claims, await this.view.readiness())) return undefined;
    return {
      token_type: claims.cnf ? 'DPoP' : 'Bearer',
      scope: claims.scope,
      client_id: claims.client_id,
      ...(username === undefined ? {} : { username }),
      sub: claims.sub,
      aud: claims.aud,
      iss: claims.iss,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      ...(claims.sid === undefined ? {} : { sid: claims.sid }),
      ...(claims.cnf ? { cnf: { jkt: claims.cnf.jkt } } : {}),
    };
  }

  /**
   * The RFC 7662 members of an opaque access token, or undefined when it is not active:
   * its row must not have ended it when read, and the view must hold no ending since, with
   * the same freshness rule as a JWT's (503 past the view's bound, never a guess).
   */
  async describeOpaque(record: OpaqueAccessTokenRecord): Promise<TokenDescription | undefined> {
    if (!this.opaqueActive(record)) return undefined;
    const revocable = asRevocable(record);
    if (this.view.revoked(revocable) || (await this.view.isRevoked(revocable, await this.view.readiness()))) return undefined;
    return {
      token_type: record.dpopJkt ? 'DPoP' : 'Bearer',
      scope: record.scope,
      client_id: record.clientId,
      ...(record.username === null ? {} : { username: record.username }),
      sub: record.subject,
      aud: record.audience,
      iss: this.config.issuer,
      exp: Math.floor(record.expiresAt.getTime() / 1000),
      iat: Math.floor(record.issuedAt.getTime() / 1000),
      jti: record.jti,
      ...(record.familyId === null ? {} : { sid: record.familyId }),
      ...(record.dpopJkt ? { cnf: { jkt: record.dpopJkt } } : {}),
    };
  }

  /** Remembers the jti as revoked until the token expires; every process hears of it. `by` is recorded in the audit log by the same commit, if this call revoked the token. */
  async revokeJwt(claims: AccessTokenClaims, by: Revoker): Promise<void> {
    const now = this.clock.now();
    if (now >= claims.exp * 1000) return;
    const until = new Date(claims.exp * 1000);
    // Grouped with the revocations other requests make meanwhile: one commit for a burst.
    await this.jtiRevocations.add({ jti: claims.jti, revokedAt: new Date(now), expiresAt: until, familyId: claims.sid ?? null, by });
    // Introspection in this process shows it at once (CONTRACT "Access tokens"), without
    // a read of the feed; other processes hear of it through NOTIFY or their next poll.
    this.view.committed('jti', claims.jti, until);
    this.metrics.accessTokenRevoked('jwt');
  }

  /**
   * Revokes an opaque token found for `by`'s client (whose token it is). `by` is recorded in
   * the audit log by the same commit, if this call revoked the token.
   */
  async revokeOpaque(record: OpaqueAccessTokenRecord, by: Revoker): Promise<void> {
    await this.revokeOpaqueByHash(record.hash, by);
  }

  /**
   * RFC 7009 §2.1 for an opaque token that `by`'s client presents: revoked in one
   * statement, without a read first, if it is that client's. False when it revoked none:
   * an unknown token, another client's, or one revoked already.
   */
  revokeOpaqueAsOwner(token: string, by: Revoker): Promise<boolean> {
    return this.revokeOpaqueByHash(this.hashers.opaqueAccessToken.hash(token), by);
  }

  private async revokeOpaqueByHash(hash: Buffer, by: Revoker): Promise<boolean> {
    const pending: PendingOpaqueRevocation = { hash, revokedAt: new Date(this.clock.now()), by };
    // Grouped like a JWT's: one commit (and one NOTIFY) for a burst, each durable before its 200.
    await this.opaqueRevocations.add(pending);
    // Read again when next presented: the row now says what ended it, whatever the view holds.
    this.opaqueRecords.delete(keyOf(hash));
    if (pending.revoked === undefined) return false;
    this.metrics.accessTokenRevoked('opaque');
    // As for a JWT: this process's view learns the jti it just committed, without a feed read.
    this.view.committed('jti', pending.revoked.jti, pending.revoked.expiresAt);
    return true;
  }

  private opaqueActive(record: OpaqueAccessTokenRecord): boolean {
    if (record.revokedAt !== null || record.familyRevoked || this.clock.now() >= record.expiresAt.getTime()) return false;
    return record.userId === null || (record.username !== null && !record.userDisabled);
  }

  private async username(userId: string): Promise<string | undefined> {
    const cached = this.usernames.get(userId);
    this.metrics.introspectionCache('username', cached !== undefined);
    if (cached !== undefined) return cached;
    const user = await this.users.findById(userId);
    // A user disabled before the view's window began has no live token left (login and
    // rotation refuse a disabled user); one disabled within it is the view's business.
    if (!user || user.disabledAt !== null) return undefined;
    this.usernames.set(userId, user.username);
    return user.username;
  }
}

/** An opaque token's keyed hash as a map key: the rows kept, and a group's revoked tokens. */
function keyOf(hash: Buffer): string {
  return hash.toString('base64');
}

/** What of an opaque token's row a revocation can concern, in a JWT's terms. */
function asRevocable(record: OpaqueAccessTokenRecord): RevocableToken {
  return {
    jti: record.jti,
    sub: record.subject,
    iat: Math.floor(record.issuedAt.getTime() / 1000),
    ...(record.familyId === null ? {} : { sid: record.familyId }),
    client_id: record.clientId,
  };
}
