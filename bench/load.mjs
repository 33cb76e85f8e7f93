// Loopback load with autocannon: closed-loop connections, each with its own request source.
import autocannon from 'autocannon';
import { settle, watch } from './processes.mjs';

/**
 * @typedef {{ body: string, headers?: Record<string, string> }} Request
 * @typedef {{ next(): Request, response?(status: number, body: string, headers: Record<string, string>): void }} Connection
 * @typedef {(index: number) => Connection} ConnectionFactory  one per connection, in order
 *
 * @typedef {object} LoadSpec
 * @property {string} url        the server's base URL
 * @property {string} path
 * @property {Record<string, string>} headers  sent with every request
 * @property {ConnectionFactory} connection
 * @property {'2xx' | '3xx'} [success]  the status class of a successful request (default 2xx; a form post that redirects: 3xx)
 *
 * @typedef {object} Measured
 * @property {number} rps          successful (2xx, or the spec's success class) responses per second
 * @property {number} p50          ms, over every response
 * @property {number} p99          ms
 * @property {number} requests     responses received
 * @property {number} non2xx
 * @property {Record<string, number>} statuses  responses per status class (2xx, 4xx, 5xx)
 * @property {number} errors       connection errors and timeouts
 * @property {number} seconds      measured wall time
 */

export const FORM = 'application/x-www-form-urlencoded';

/**
 * One autocannon run: the instance, which is also a promise of its result. Latencies are
 * recorded here, at sub-millisecond precision (autocannon's own histogram is in whole ms).
 */
function run(spec, connections, seconds, latencies, options = {}) {
  const base = new URL(spec.url);
  let index = 0;
  return autocannon({
    url: base.origin,
    connections,
    pipelining: 1,
    timeout: 30,
    ...(options.amount ? { amount: options.amount } : { duration: seconds }),
    method: 'POST',
    path: spec.path,
    headers: { 'content-type': FORM, ...spec.headers },
    setupClient(client) {
      const connection = spec.connection(index++);
      client.setRequests([
        {
          method: 'POST',
          path: spec.path,
          setupRequest(request) {
            const next = connection.next();
            request.body = next.body;
            request.headers = { 'content-type': FORM, ...spec.headers, ...next.headers };
            return request;
          },
          onResponse: connection.response ? (status, body, _context, headers) => connection.response(status, body, headers) : undefined,
        },
      ]);
      if (latencies) client.on('response', (_status, _bytes, ms) => latencies.push(ms));
    },
  });
}

/**
 * Warms up for `warmupSeconds` (not measured), then measures `seconds` of closed-loop load
 * at `connections`, while sampling the RSS and CPU of `pids()`. With `alongside`, another
 * load (a login flood) runs during both phases and its own figures come back too. It first
 * waits for the server to go idle, unless `settled` is false (measuring while it is busy on purpose).
 */
export async function measure(spec, { connections, seconds, warmupSeconds, pids, dbPids, alongside, server, settled = true }) {
  server?.assertRunning();
  if (settled) await settle(pids);
  const flood = alongside ? run(alongside.spec, alongside.connections, warmupSeconds + seconds + 5, null) : undefined;
  const floodDone = flood && new Promise((resolve) => flood.once('done', resolve));
  try {
    if (warmupSeconds > 0) await run(spec, connections, warmupSeconds, null);
    const latencies = [];
    const watcher = watch(pids, 100, dbPids);
    const result = await run(spec, connections, seconds, latencies);
    const usage = watcher.stop();
    flood?.stop();
    // A server that died during the run measured nothing: fail rather than report zeros.
    server?.assertRunning();
    return { ...summarize(result, latencies, spec.success), ...usage, ...(flood ? { alongside: summarize(await floodDone, []) } : {}) };
  } finally {
    flood?.stop();
  }
}

/** Closed-loop load for `seconds` that nobody measures (it makes a server busy): stop() ends it. */
export function background(spec, connections, seconds) {
  return run(spec, connections, seconds, null);
}

/**
 * Sends `amount` requests over `connections` and returns what `pick` takes from each 2xx
 * body (seeding: minting pools of tokens). Throws when fewer than 99% succeed.
 */
export async function collect(spec, { connections, amount, pick }) {
  const picked = [];
  const result = await run(
    {
      ...spec,
      connection(index) {
        const inner = spec.connection(index);
        return {
          next: () => inner.next(),
          response(status, body) {
            inner.response?.(status, body);
            if (status >= 200 && status < 300) {
              const value = pick(JSON.parse(body));
              if (value !== undefined) picked.push(value);
            }
          },
        };
      },
    },
    Math.min(connections, amount),
    0,
    null,
    { amount },
  );
  if (picked.length < amount * 0.99) {
    throw new Error(`seeding ${spec.path}: ${picked.length} of ${amount} requests succeeded (${result.non2xx} non-2xx, ${result.errors} errors)`);
  }
  return picked;
}

/** The latency at quantile q (0.5, 0.99, …) of `latencies`, in ms to two decimals; null for none. */
export function quantiles(latencies) {
  const sorted = Float64Array.from(latencies).sort();
  return (q) => round(sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
}

function summarize(result, latencies, success = '2xx') {
  const at = quantiles(latencies);
  const seconds = result.duration;
  return {
    rps: seconds > 0 ? result[success] / seconds : 0,
    p50: at(0.5),
    p99: at(0.99),
    requests: result.requests.total,
    non2xx: result.non2xx,
    statuses: { '2xx': result['2xx'], '3xx': result['3xx'], '4xx': result['4xx'], '5xx': result['5xx'] },
    errors: result.errors + result.timeouts,
    seconds,
    ...(success === '2xx' ? {} : { success }),
  };
}

export function round(value) {
  return Number.isFinite(value) ? Math.round(value * 100) / 100 : null;
}

/** A connection that sends the same body on every request. */
export function fixed(body) {
  return () => ({ next: () => ({ body }) });
}

/** Connections that share one counter over `items`, each request taking the next (wrapping). */
export function cycling(items, toBody) {
  let next = 0;
  const state = { wrapped: 0 };
  const factory = () => ({
    next() {
      if (next === items.length) {
        next = 0;
        state.wrapped++;
      }
      return { body: toBody(items[next++]) };
    },
  });
  factory.state = state;
  return factory;
}
