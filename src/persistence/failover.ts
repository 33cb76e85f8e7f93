import pg from 'pg';
import { databaseTargets, type DatabaseHost, type DatabaseTargets } from '../config/database-url.js';

/**
 * Which of a multi-host DATABASE_URL's servers new connections go to, shared by a URL's
 * pool and its revocation listener. Unknown at first and after a connection to the chosen
 * server failed (it stopped, or was demoted by a failover): the next connection then
 * tries the servers in order, starting from the last good one, and takes the first that
 * answers and is what target_session_attrs asks for (libpq's semantics, PostgreSQL
 * §34.1.2). A connection already open stays where it is until it fails, as with libpq.
 */
export class HostSelection {
  private current = 0;
  private known = false;
  private resolving: Promise<DatabaseHost> | undefined;

  constructor(
    readonly targets: DatabaseTargets,
    private readonly probe: (host: DatabaseHost) => Promise<void>,
  ) {}

  /** The server to connect to: the last good one, or the first good one found now. */
  target(): Promise<DatabaseHost> {
    if (this.known) return Promise.resolve(this.targets.hosts[this.current]);
    this.resolving ??= this.resolve().finally(() => (this.resolving = undefined));
    return this.resolving;
  }

  /** A connection to `host` failed or found it unsuitable: look again next time. */
  lost({ host, port }: DatabaseHost): void {
    const current = this.targets.hosts[this.current];
    if (current.host === host && current.port === port) this.known = false;
  }

  private async resolve(): Promise<DatabaseHost> {
    const { hosts } = this.targets;
    const errors: unknown[] = [];
    for (let step = 0; step < hosts.length; step++) {
      const index = (this.current + step) % hosts.length;
      try {
        await this.probe(hosts[index]);
        this.current = index;
        this.known = true;
        return hosts[index];
      } catch (error) {
        errors.push(error);
      }
    }
    // Each cause is a connection failure or a read-only server: unavailable (503) either way.
    throw new AggregateError(errors, `no server of the ${hosts.length} in the database URL is ${this.targets.targetSessionAttrs}`);
  }
}

/** Points a client that has not connected yet at `host`, whatever its connection string said. */
export function aim(client: pg.Client, { host, port }: DatabaseHost): void {
  const internal = client as unknown as { host: string; port: number; connectionParameters: { host: string; port: number } };
  internal.host = internal.connectionParameters.host = host;
  internal.port = internal.connectionParameters.port = port;
}

/**
 * How long a server has to answer the check. A pooler whose server is down accepts the
 * connection and holds the query (PgBouncer: query_wait_timeout, 120 s by default), so
 * the connect timeout alone would leave a failover waiting on it.
 */
const CHECK_TIMEOUT_MS = 5_000;

/**
 * Throws unless the connected `client` is what `targets` asks for, within
 * CHECK_TIMEOUT_MS. A read-only server refuses as a write would (25006), which callers
 * already answer with 503.
 */
export async function checkSession(client: pg.Client, { targetSessionAttrs }: DatabaseTargets): Promise<void> {
  if (targetSessionAttrs === 'any') return;
  const { rows } = await client.query<{ recovery: boolean; read_only: string }>({
    text: `SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS read_only`,
    query_timeout: CHECK_TIMEOUT_MS,
  } as pg.QueryConfig);
  const unsuitable = targetSessionAttrs === 'primary' ? rows[0].recovery : rows[0].recovery || rows[0].read_only === 'on';
  if (unsuitable) {
    throw Object.assign(new Error(`the server is not ${targetSessionAttrs} (target_session_attrs)`), { code: '25006' });
  }
}

/**
 * A write refused as read-only (25006) on a connection made before its server was demoted
 * (or set default_transaction_read_only): the selection looks again, and the pool drops
 * the connection when it is returned rather than lend it to the next request. pg-pool
 * drops a client whose use count reached its maxUses (Infinity unless set); `_ending` or
 * `_queryable` would also refuse the borrower's ROLLBACK, which must still be sent.
 */
export function retireWhenReadOnly(client: pg.Client, selection: HostSelection): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
    const result = query(...args);
    if (result instanceof Promise) {
      result.catch((error: unknown) => {
        if ((error as { code?: unknown }).code !== '25006') return;
        selection.lost({ host: client.host, port: client.port });
        (client as unknown as { _poolUseCount: number })._poolUseCount = Infinity;
      });
    }
    return result;
  };
}

const selections = new Map<string, HostSelection>();

/**
 * The selection for `url`, one per URL in this process so the pool and the listener agree;
 * undefined for a URL with one host and no target_session_attrs (no extra round trip).
 */
export function hostSelection(url: string): HostSelection | undefined {
  const found = selections.get(url);
  if (found) return found;
  const targets = databaseTargets(url);
  if (!targets) return undefined;
  const selection = new HostSelection(targets, async (host) => {
    const client = new pg.Client({ connectionString: targets.firstHostUrl, connectionTimeoutMillis: 5_000 });
    client.on('error', () => undefined);
    aim(client, host);
    try {
      await client.connect();
      await checkSession(client, targets);
    } finally {
      await client.end().catch(() => undefined);
    }
  });
  selections.set(url, selection);
  return selection;
}

/**
 * Connects `client` (with `connect`, its own connect) through `selection`: to the current
 * server, checked as target_session_attrs asks. On failure this connection fails (503, the
 * caller retries) and the selection looks again when the next one is opened.
 */
export async function connectThrough<T extends pg.Client>(client: T, selection: HostSelection, connect: () => Promise<unknown>): Promise<T> {
  const host = await selection.target();
  aim(client, host);
  try {
    await connect();
    await checkSession(client, selection.targets);
    return client;
  } catch (error) {
    selection.lost(host);
    await client.end().catch(() => undefined);
    throw error;
  }
}
