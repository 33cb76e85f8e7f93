import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const SCRAPE_REQUEST = 'tessera:metrics-scrape';
const SCRAPE_RESPONSE = 'tessera:metrics-scraped';
const SCRAPE_TIMEOUT_MS = 5_000;

interface ScrapeResponse {
  readonly type: typeof SCRAPE_RESPONSE;
  readonly id: number;
  readonly text?: string;
  readonly error?: string;
}

/**
 * Cluster mode (WORKERS > 1): a scrape lands on one worker, which asks the primary; the
 * primary gathers every worker's registry over IPC (prom-client's AggregatorRegistry)
 * and answers with the sum, so one scrape shows the whole server.
 */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: { type?: unknown; id?: unknown }) => {
    if (message?.type !== SCRAPE_REQUEST || typeof message.id !== 'number') return;
    const id = message.id;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: SCRAPE_RESPONSE, id, text } satisfies ScrapeResponse),
      (error: Error) => worker.send({ type: SCRAPE_RESPONSE, id, error: error.message } satisfies ScrapeResponse),
    );
  });
}

let nextId = 0;

/** In a worker, at boot: lets the primary read `registry` whichever worker is scraped. */
export function joinClusterMetrics(registry: Registry): void {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one in a worker installs prom-client's answer to the primary's requests.
  new AggregatorRegistry();
}

/** In a worker: the cluster-wide exposition, from the primary. */
export function scrapeCluster(): Promise<string> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const onMessage = (message: ScrapeResponse) => {
      if (message?.type !== SCRAPE_RESPONSE || message.id !== id) return;
      done();
      if (message.text !== undefined) resolve(message.text);
      else reject(new Error(`cluster metrics: ${message.error ?? 'no answer'}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error('cluster metrics: the primary did not answer in time'));
    }, SCRAPE_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      process.off('message', onMessage);
    };
    process.on('message', onMessage);
    process.send?.({ type: SCRAPE_REQUEST, id });
  });
}

export function inClusterWorker(): boolean {
  return cluster.isWorker && typeof process.send === 'function';
}
