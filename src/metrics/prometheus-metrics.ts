import { collectDefaultMetrics, Counter, Gauge, type Metric, Registry } from 'prom-client';
import type { PoolStats } from '../persistence/pool-stats.js';
import { type BoundCounter, KeyedCounter, LatencyHistogram } from './keyed-metrics.js';
import { type BackchannelResult, type CompletedRequest, type IntrospectionCache, Metrics, type RevocationViewAge, type TokenKind } from './metrics.js';

// Seconds: a cached introspection takes well under a millisecond, a password check tens.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** The one label value of every request no route matched: the label set stays bounded. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The Metrics port on prom-client: one registry per application, scraped at GET /metrics. */
export class PrometheusMetrics extends Metrics {
  readonly registry = new Registry();
  private readonly latency = new LatencyHistogram(
    'tessera_http_request_duration_seconds',
    'Time to answer an HTTP request, by route pattern, method and status class',
    LATENCY_BUCKETS,
  );
  private readonly issued = new KeyedCounter('tessera_tokens_issued_total', 'Tokens issued, by grant type and kind (access_token, refresh_token)');
  private readonly rotations: BoundCounter;
  private readonly graceHits: BoundCounter;
  private readonly reuses: Counter<'reason'>;
  private readonly sessions: Counter<'reason'>;
  private readonly accessTokens: Counter<'format'>;
  private readonly cache: Record<IntrospectionCache, Record<'hit' | 'miss', BoundCounter>>;
  private readRevocationView: (() => RevocationViewAge) | undefined;
  private readClockOffset: (() => number) | undefined;
  private readonly backchannel: Counter<'result'>;
  private readonly backchannelDepth: Gauge;
  private readonly listenHealthy: Gauge;
  private readonly probesLost: Counter;
  private readonly viewDatabaseChecks: Counter;
  private readonly unavailable = new KeyedCounter(
    'tessera_http_unavailable_total',
    'Requests answered 503 (database unreachable, revocation view too old), by route pattern and method',
  );

  constructor(pool: () => PoolStats | undefined, options: { defaultMetrics?: boolean } = {}) {
    super();
    const registers = [this.registry];
    this.registry.registerMetric(this.latency as unknown as Metric);
    this.registry.registerMetric(this.issued as unknown as Metric);
    this.registry.registerMetric(this.unavailable as unknown as Metric);
    this.rotations = new Counter({ name: 'tessera_refresh_rotations_total', help: 'Refresh tokens exchanged for a new successor', registers });
    this.graceHits = new Counter({
      name: 'tessera_refresh_grace_hits_total',
      help: 'Repeated refreshes answered with the same successor within REFRESH_REUSE_GRACE',
      registers,
    });
    this.reuses = new Counter({
      name: 'tessera_refresh_reuse_detected_total',
      help: 'Refresh token reuse detected (the family is revoked), by reason',
      labelNames: ['reason'],
      registers,
    });
    this.sessions = new Counter({
      name: 'tessera_sessions_revoked_total',
      help: 'Sessions (refresh token families) ended, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.accessTokens = new Counter({
      name: 'tessera_access_tokens_revoked_total',
      help: 'Access tokens revoked by themselves (RFC 7009), by format',
      labelNames: ['format'],
      registers,
    });
    this.backchannel = new Counter({
      name: 'tessera_backchannel_deliveries_total',
      help: 'Back-channel logout attempts, by result (delivered, retried, timeout, expired, refused)',
      labelNames: ['result'],
      registers,
    });
    // Every process reads the same table: across cluster workers, one value, not a sum.
    this.backchannelDepth = new Gauge({
      name: 'tessera_backchannel_queue_depth',
      help: 'Back-channel logout tokens waiting to be delivered (neither delivered nor given up)',
      registers,
      aggregator: 'max',
    });
    this.listenHealthy = new Gauge({
      name: 'tessera_listen_healthy',
      help: 'Whether the last probe notification the revocation listener sent itself came back (1) or not (0); 0 until the first one does',
      registers,
      // Across cluster workers: a worker that hears nothing is the one to see.
      aggregator: 'min',
    });
    this.probesLost = new Counter({
      name: 'tessera_listen_probes_lost_total',
      help: 'Probe notifications the revocation listener sent itself that did not come back within 5 s (LISTEN behind a transaction-mode pooler)',
      registers,
    });
    // Per request once the view has overflowed: what a mass logout must not make common.
    this.viewDatabaseChecks = new Counter({
      name: 'tessera_revocation_view_database_checks_total',
      help: 'JWT introspections the revocation view could not answer from memory (its overflow filter did not rule the token out) and checked in the database',
      registers,
    });
    const lookups = new KeyedCounter(
      'tessera_introspection_cache_lookups_total',
      'Lookups in the in-process introspection caches, by cache and result (hit ratio = hit / all)',
    );
    this.registry.registerMetric(lookups as unknown as Metric);
    const bind = (cache: IntrospectionCache) => ({
      hit: lookups.labels(`${cache} hit`, () => ({ cache, result: 'hit' })),
      miss: lookups.labels(`${cache} miss`, () => ({ cache, result: 'miss' })),
    });
    this.cache = { verified_token: bind('verified_token'), username: bind('username'), opaque_token: bind('opaque_token') };
    this.poolGauges(pool);
    this.revocationViewGauges();
    this.clockOffsetGauge();
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  tokenIssued(grantType: string, kind: TokenKind): void {
    this.issued.labels(`${grantType} ${kind}`, () => ({ grant_type: grantType, kind })).inc();
  }

  refreshRotated(): void {
    this.rotations.inc();
  }

  refreshGraceHit(): void {
    this.graceHits.inc();
  }

  refreshReuseDetected(reason: string): void {
    this.reuses.labels(reason).inc();
  }

  sessionsRevoked(reason: string, count: number): void {
    if (count > 0) this.sessions.labels(reason).inc(count);
  }

  accessTokenRevoked(format: 'jwt' | 'opaque'): void {
    this.accessTokens.labels(format).inc();
  }

  introspectionCache(cache: IntrospectionCache, hit: boolean): void {
    this.cache[cache][hit ? 'hit' : 'miss'].inc();
  }

  requestCompleted({ method, route, status, seconds }: CompletedRequest): void {
    const known = METHODS.has(method) ? method : 'OTHER';
    const statusClass = `${Math.floor(status / 100)}xx`;
    // Bounded: methods from a fixed set, routes from the route table, five status classes.
    this.latency.observe(`${known} ${statusClass} ${route}`, () => ({ method: known, route: route ?? UNMATCHED_ROUTE, status_class: statusClass }), seconds);
    // 503 is Tessera failing closed on a dependency, not a bug (500): alerted on by itself.
    if (status === 503) this.unavailable.labels(`${known} ${route}`, () => ({ method: known, route: route ?? UNMATCHED_ROUTE })).inc();
  }

  backchannelDelivery(result: BackchannelResult): void {
    this.backchannel.labels(result).inc();
  }

  backchannelQueueDepth(depth: number): void {
    this.backchannelDepth.set(depth);
  }

  listenProbe(returned: boolean): void {
    this.listenHealthy.set(returned ? 1 : 0);
    if (!returned) this.probesLost.inc();
  }

  revocationView(read: () => RevocationViewAge): void {
    this.readRevocationView = read;
  }

  revocationViewDatabaseCheck(): void {
    this.viewDatabaseChecks.inc();
  }

  clockOffset(read: () => number): void {
    this.readClockOffset = read;
  }

  private clockOffsetGauge(): void {
    const read = () => this.readClockOffset?.();
    new Gauge({
      name: 'tessera_clock_offset_seconds',
      help: "Seconds this process's own clock was behind the database's at the last measurement (negative: ahead); Tessera follows the database's",
      registers: [this.registry],
      // Across cluster workers: one host, one clock.
      aggregator: 'average',
      collect() {
        const offset = read();
        if (offset !== undefined) this.set(offset);
      },
    });
  }

  private revocationViewGauges(): void {
    const view = () => this.readRevocationView?.();
    const gauge = (name: string, help: string, value: (age: RevocationViewAge) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        // Across cluster workers: the stalest worker is the one whose introspections answer 503.
        aggregator: 'max',
        collect() {
          const age = view();
          if (age) this.set(value(age));
        },
      });
    gauge('tessera_revocation_view_age_seconds', 'Seconds since this process last read the revocation feed (before its first read: since it started)', (a) => a.ageSeconds);
    gauge(
      'tessera_revocation_view_max_age_seconds',
      'REVOCATION_MAX_STALENESS_MS in seconds: with an older revocation view, introspection answers 503',
      (a) => a.maxAgeSeconds,
    );
    gauge('tessera_revocation_view_entries', 'Revocations the revocation view holds exactly (at most REVOCATION_VIEW_MAX_ENTRIES)', (a) => a.entries);
    gauge('tessera_revocation_view_overflow_entries', 'Revocations past REVOCATION_VIEW_MAX_ENTRIES, held only in the overflow filter (a mass logout)', (a) => a.overflowEntries);
  }

  private poolGauges(pool: () => PoolStats | undefined): void {
    const gauge = (name: string, help: string, read: (stats: PoolStats) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const stats = pool();
          if (stats) this.set(read(stats));
        },
      });
    gauge('tessera_db_pool_connections', 'Connections the database pool holds (busy and idle)', (s) => s.total);
    gauge('tessera_db_pool_idle_connections', 'Idle connections of the database pool', (s) => s.idle);
    gauge('tessera_db_pool_waiting_requests', 'Queries waiting for a connection of the database pool', (s) => s.waiting);
  }
}
