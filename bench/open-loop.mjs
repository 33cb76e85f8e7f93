// Open-loop load: requests due at a fixed rate whatever the server answers, each timed from
// the moment it was due, not from when a connection was free to send it. A closed loop
// (autocannon's, and autocannon's rate limit too) sends the next request only after an
// answer, so a slow answer also delays the clock of every request queued behind it and the
// latency it reports leaves out the wait ("coordinated omission"). Here a request waits for
// one of the spec's connections (each keeps its own state, as a refresh chain does) and
// that wait counts.
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { FORM, quantiles, round } from './load.mjs';

/**
 * Sends `rate` requests per second for `seconds` over `connections` keep-alive connections
 * of `spec` (a LoadSpec of bench/load.mjs) and returns the latencies, from each request's
 * due time to its answer: p50, p99 and p99.9 in ms, what was offered and achieved, statuses,
 * and the generator's own event-loop delay (p99, max), which inflates them when large.
 */
export async function openLoop(spec, { rate, seconds, connections }) {
  const base = new URL(spec.url);
  const idle = Array.from({ length: connections }, (_, index) => ({
    connection: spec.connection(index),
    agent: new http.Agent({ keepAlive: true, maxSockets: 1 }),
  }));
  const agents = idle.map((client) => client.agent);
  const total = Math.max(1, Math.round(rate * seconds));
  const due = [];
  const latencies = [];
  const statuses = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  let errors = 0;
  let scheduled = 0;
  let done = 0;
  // The generator's own stalls (its garbage collection, a busy loop) delay requests as
  // surely as the server's do, and count the same: reported beside the latencies.
  const stalls = monitorEventLoopDelay({ resolution: 1 });
  stalls.enable();
  const start = performance.now();
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));

  const answered = (client) => {
    done++;
    idle.push(client);
    dispatch();
    if (done === total) finish(performance.now());
  };
  const send = (client, dueAt) => {
    const next = client.connection.next();
    const request = http.request(
      {
        host: base.hostname,
        port: base.port,
        path: spec.path,
        method: 'POST',
        agent: client.agent,
        headers: { 'content-type': FORM, 'content-length': Buffer.byteLength(next.body), ...spec.headers, ...next.headers },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => {
          latencies.push(performance.now() - dueAt);
          statuses[`${Math.floor(response.statusCode / 100)}xx`]++;
          client.connection.response?.(response.statusCode, body, response.headers);
          answered(client);
        });
      },
    );
    request.setTimeout(30_000, () => request.destroy(new Error('timeout')));
    request.on('error', () => {
      errors++;
      answered(client);
    });
    request.end(next.body);
  };
  const dispatch = () => {
    while (due.length > 0 && idle.length > 0) send(idle.pop(), due.shift());
  };
  // Every millisecond, the requests that have come due since: their due times are exact,
  // whatever the timer's jitter.
  const tick = () => {
    const now = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000));
    for (; scheduled < now; scheduled++) due.push(start + (scheduled * 1000) / rate);
    dispatch();
    if (scheduled < total) setTimeout(tick, 1);
  };
  tick();
  const ended = await finished;
  stalls.disable();
  for (const agent of agents) agent.destroy();

  const at = quantiles(latencies);
  const elapsed = (ended - start) / 1000;
  return {
    offeredRate: rate,
    achievedRate: statuses['2xx'] / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    p999: at(0.999),
    requests: total,
    statuses,
    errors,
    seconds: elapsed,
    generatorDelay: { p99: round(stalls.percentile(99) / 1e6), max: round(stalls.max / 1e6) },
  };
}
