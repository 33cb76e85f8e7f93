import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { REVOCATION_MARGIN_SECONDS } from '../sessions/revocation-event.js';
import { type CleanupBatches, type CleanupCounts, type CleanupTable, JanitorStore } from './cleanup.js';

const CODE_REPLAY_WINDOW_MS = 86_400_000;
/** A settled back-channel logout stays a week, for whoever looks into a relying party's complaint. */
const BACKCHANNEL_KEEP_MS = 7 * 86_400_000;

export interface CleanupOptions {
  /** rows per statement; default JANITOR_BATCH_SIZE */
  readonly batchSize?: number;
  /** wait for another process's pass to finish instead of skipping this one */
  readonly wait?: boolean;
}

type Step = (batches: CleanupBatches, limit: number) => Promise<number>;

/**
 * Deletes what no request can need any more, in short batches, one process at a time.
 * What it keeps, and why:
 * - a family and every refresh token of it until its absolute expiry plus the longest an
 *   access token of it can live: a replayed rotated token of a revoked or idle-expired
 *   family is still recognised as reuse (CONTRACT "Refresh tokens"), and an opaque token
 *   of it (deleted with it) has expired by then;
 * - a revocation-feed event until no token it concerns can be live, judged both by its
 *   `until` and by its age (a token issued under a longer ACCESS_TOKEN_TTL), plus the
 *   view's staleness margin, and never the newest old event (see CleanupBatches);
 * - audit events forever unless AUDIT_RETENTION is set;
 * - a login-throttle row until its own expires_at;
 * - a back-channel logout until it is delivered or given up, and a week longer;
 * - a WebAuthn or second-step challenge, and a console session, until it expires.
 */
@Injectable()
export class JanitorService {
  constructor(
    private readonly store: JanitorStore,
    @Inject(CONFIG) private readonly config: ResolvedConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** One full pass; undefined when another process is cleaning and `wait` is not set. */
  async runOnce(options: CleanupOptions = {}): Promise<CleanupCounts | undefined> {
    const limit = options.batchSize ?? this.config.janitorBatchSize;
    const steps = this.steps(this.clock.now());
    return this.store.exclusively(options.wait ?? false, async (batches) => {
      const counts = {} as CleanupCounts;
      for (const [table, step] of steps) counts[table] = await untilShort(() => step(batches, limit), limit);
      return counts;
    });
  }

  private steps(now: number): Array<[CleanupTable, Step]> {
    const { accessTokenTtl, revocationMaxStalenessMs, auditRetention } = this.config;
    const skew = REVOCATION_MARGIN_SECONDS * 1000;
    const expired = new Date(now - skew);
    // Past this, no access token issued before it can still be accepted anywhere.
    const tokenLifetimeAgo = new Date(now - (accessTokenTtl * 1000 + skew + revocationMaxStalenessMs));
    const spent = new Date(now - (skew + revocationMaxStalenessMs));
    return [
      ['opaque_access_tokens', (b, limit) => b.expiredOpaqueTokens(expired, limit)],
      ['refresh_tokens', (b, limit) => b.tokensOfEndedFamilies(tokenLifetimeAgo, limit)],
      ['families', (b, limit) => b.endedFamilies(tokenLifetimeAgo, limit)],
      ['revoked_access_tokens', (b, limit) => b.expiredRevokedJtis(expired, limit)],
      ['revocation_events', (b, limit) => b.spentRevocationEvents(spent, tokenLifetimeAgo, limit)],
      ['audit_events', (b, limit) => (auditRetention > 0 ? b.auditEventsBefore(new Date(now - auditRetention * 1000), limit) : Promise.resolve(0))],
      ['login_throttle', (b, limit) => b.expiredLoginThrottles(new Date(now), limit)],
      // A used code is kept a day past its expiry, so that a replay still ends the session it started.
      ['authorization_codes', (b, limit) => b.expiredAuthorizationCodes(new Date(now - CODE_REPLAY_WINDOW_MS), limit)],
      ['pushed_authorization_requests', (b, limit) => b.expiredPushedRequests(expired, limit)],
      ['login_sessions', (b, limit) => b.endedLoginSessions(expired, limit)],
      ['dpop_proofs', (b, limit) => b.expiredDpopProofs(expired, limit)],
      ['backchannel_logouts', (b, limit) => b.settledBackchannelLogouts(new Date(now - BACKCHANNEL_KEEP_MS), limit)],
      ['webauthn_challenges', (b, limit) => b.expiredWebauthnChallenges(expired, limit)],
      ['second_factor_challenges', (b, limit) => b.expiredSecondFactorChallenges(expired, limit)],
      ['console_sessions', (b, limit) => b.expiredConsoleSessions(expired, limit)],
    ];
  }
}

/** Repeats a batch until one comes back short: the rows it was after are gone. */
async function untilShort(batch: () => Promise<number>, limit: number): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await batch();
    total += deleted;
    if (deleted < limit) return total;
  }
}

/** `opaque_access_tokens=3 refresh_tokens=0 …`: one pass on one line. */
export function describeCounts(counts: CleanupCounts): string {
  return Object.entries(counts)
    .map(([table, count]) => `${table}=${count}`)
    .join(' ');
}
