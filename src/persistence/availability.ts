import { QueryFailedError } from 'typeorm';

/**
 * SQLSTATEs (PostgreSQL Appendix A) that mean "the database is not there for us right
 * now", whatever statement met them:
 * - class 08 connection exception, class 53 insufficient resources (53300
 *   too_many_connections: max_connections or a CONNECTION LIMIT is reached);
 * - 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up,
 *   shutting down, in recovery), 57P04 database_dropped, 57P05 idle_session_timeout;
 * - 3D000 invalid_catalog_name: the database does not exist (dropped, or not restored
 *   yet). Postgres raises it only when a connection names its database;
 * - class 28 invalid authorization (28000: the role lost LOGIN or hba refuses it,
 *   28P01: its password changed): raised only while a connection authenticates;
 * - 25006 read_only_sql_transaction: Tessera never opens a READ ONLY transaction, so a
 *   write refused as read-only is the server's state, not our SQL: a hot standby, a
 *   primary demoted by a failover, or default_transaction_read_only set on the role or
 *   the database.
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|28|57P0[1-5]$|3D000$|25006$)/;

/**
 * 55000 object_not_in_prerequisite_state is also an application error (currval before
 * nextval, a sequence or publication in the wrong state), so it means "away" only when it
 * refused a connection: `ALTER DATABASE … ALLOW_CONNECTIONS false` ("database is not
 * currently accepting connections"). Errors raised while connecting are recognised by
 * where they arose (see whileConnecting), not by their message, which lc_messages translates.
 */
const UNAVAILABLE_WHILE_CONNECTING = /^55000$/;

const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

// node-postgres's own words (not the server's): a connection that died ("Connection
// terminated unexpectedly"), pg-pool's connectionTimeoutMillis while opening one ("Connection
// terminated due to connection timeout") or while waiting for a free one in a full pool
// ("timeout exceeded when trying to connect"), and a client already broken.
const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is not established/i;

const raisedWhileConnecting = new WeakSet<object>();

/** Marks an error as raised while opening a connection (the pool's client does it). */
export function whileConnecting<T>(error: T): T {
  if (typeof error === 'object' && error !== null) raisedWhileConnecting.add(error);
  return error;
}

/** True for errors that mean the database is unreachable, so callers answer 503 and retry. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return unavailableCause(error) !== undefined;
}

/**
 * The error in `error`'s chain that makes the database unavailable (a driver error, a
 * socket error), or undefined when it is another failure.
 */
export function unavailableCause(error: unknown): { code?: string; message?: string } | undefined {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const candidate = current as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
    const code = typeof candidate.code === 'string' ? candidate.code : undefined;
    if (code !== undefined && (UNAVAILABLE_ERRNO.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return candidate as { code: string };
    if (code !== undefined && UNAVAILABLE_WHILE_CONNECTING.test(code) && raisedWhileConnecting.has(candidate)) return candidate as { code: string };
    if (typeof candidate.message === 'string' && UNAVAILABLE_MESSAGE.test(candidate.message)) return candidate as { message: string };
    if (current instanceof AggregateError) {
      const inner = current.errors.map(unavailableCause).find((found) => found !== undefined);
      if (inner) return inner;
    }
    current = current instanceof QueryFailedError ? candidate.driverError : candidate.cause;
  }
  return undefined;
}

/** True for a write refused as read-only (25006): a standby, or a primary a failover demoted. */
export function isDatabaseReadOnly(error: unknown): boolean {
  return unavailableCause(error)?.code === '25006';
}
