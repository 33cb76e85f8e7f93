import { hostSelection } from '../../src/persistence/failover.js';
import { describeWithPooler, PgBouncer } from '../setup/pgbouncer.js';
import { multiHostUrl, PgCluster } from '../setup/pg-cluster.js';

/**
 * Issue 20, found by the scale-out suite: behind PgBouncer, a server that has stopped
 * still accepts connections (the pooler does) and holds every query until the pooler's
 * query_wait_timeout (120 s by default). The writability check had no bound of its own,
 * so a failover waited that long before trying the next host.
 */
describeWithPooler('a multi-host DATABASE_URL whose first host is a pooler in front of a stopped server', () => {
  let down: PgCluster;
  let bouncer: PgBouncer;
  let up: PgCluster;

  beforeAll(async () => {
    [down, up] = await Promise.all([PgCluster.start(), PgCluster.start()]);
    bouncer = await PgBouncer.start(down);
    down.stopServer();
  });
  afterAll(async () => {
    await bouncer?.destroy();
    await Promise.all([down?.destroy(), up?.destroy()]);
  });

  it('passes the pooler over once its check goes unanswered, and takes the next host', async () => {
    const selection = hostSelection(multiHostUrl(bouncer, up))!;
    // Jest's 60 s timeout is the bound that fails: half the pooler's 120 s.
    await expect(selection.target()).resolves.toEqual({ host: '127.0.0.1', port: up.port });
  }, 60_000);
});
