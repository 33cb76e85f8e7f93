import type { Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { maskSecrets } from '../logging/redaction.js';
import { unavailableCause } from '../persistence/availability.js';

/** An outage is over once no request has met the database away for this long. */
export const OUTAGE_QUIET_MS = 30_000;

/**
 * One warning per database outage, however many requests it refuses: under load a line
 * (let alone a stack) per 503 would bury everything else in the log, and the count is
 * `tessera_http_unavailable_total`'s job. The outage ends after OUTAGE_QUIET_MS without a
 * 503 of its kind; the next one logs again. In-process real time, not the injected clock:
 * this is a rate limit on log lines, not a domain time.
 */
export class OutageLog {
  private lastSeenAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Called with each error answered 503 because the database is unavailable. */
  unavailable(error: unknown): void {
    const now = this.now();
    const ongoing = now - this.lastSeenAt < OUTAGE_QUIET_MS;
    this.lastSeenAt = now;
    if (ongoing) return;
    this.logger.warn(
      `the database is unavailable (${reason(error)}): answering 503 temporarily_unavailable until it is back; ` +
        `further failures are not logged until none has occurred for ${OUTAGE_QUIET_MS / 1000} s`,
    );
  }
}

/** The SQLSTATE or errno and the first line of the driver's message, masked. */
function reason(error: unknown): string {
  const cause = unavailableCause(error) ?? (error as { cause?: unknown } | null)?.cause;
  if (cause === undefined || cause === null) return 'the revocation view is older than REVOCATION_MAX_STALENESS_MS';
  const { code, message } = cause as { code?: unknown; message?: unknown };
  const line = typeof message === 'string' ? message.split('\n')[0] : typeof cause === 'string' ? cause : 'no message';
  return maskSecrets(typeof code === 'string' && !line.includes(code) ? `${code} ${line}` : line);
}
