// The plain-text table and the verdicts against the issue's figures.

const MB = 1024 * 1024;

function num(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return '-';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function ratio(a, b) {
  return a && b ? a / b : null;
}

function pad(text, width, right = false) {
  const s = String(text);
  return right ? s.padStart(width) : s.padEnd(width);
}

/** Cells of one server's figures: req/s, p50, p99, peak RSS; or its n/a reason. */
function cells(result) {
  if (!result) return ['', '', '', ''];
  if (result.na) return ['n/a', '', '', ''];
  const failed = result.requests - (result.statuses[result.success ?? '2xx'] ?? 0);
  const flag = result.statuses['5xx'] || result.errors ? ' !' : failed ? ' *' : '';
  return [`${num(result.rps)}${flag}`, num(result.p50, 2), num(result.p99, 2), num(result.peakRssBytes / MB)];
}

/** The peers Tessera is compared with: their key in the results, column label and ratio column. */
const PEERS = [
  { key: 'peer', label: 'peer', ratio: 'T/peer' },
  { key: 'peerRedis', label: 'Redis peer', ratio: 'T/Redis' },
];

/** The peers this run measured (the Redis peer is skipped without Redis). */
function peersOf(report) {
  return PEERS.filter(({ key }) => report.servers[key] && !report.servers[key].skipped);
}

/** The header line's words on the Redis peer: its storage, or why it was skipped. */
export function peerRedisText(server) {
  return server.skipped ? `Redis peer: skipped (${server.skipped})` : `Redis peer: the same on ${server.storage}`;
}

/**
 * The table of one connection level: every scenario for Tessera and each peer, the ceiling,
 * and Tessera's ratio to each. The Redis peer's cells are empty where it does not run.
 */
export function table(report, connections) {
  const level = String(connections);
  const ceiling = report.ceiling[level];
  const peers = peersOf(report);
  const header = ['scenario', 'Tessera req/s', 'p50 ms', 'p99 ms', 'RSS MB', ...peers.flatMap(({ label }) => [`${label} req/s`, 'p50 ms', 'p99 ms', 'RSS MB']), ...peers.map((p) => p.ratio), 'T/ceiling'];
  const times = (value) => (value ? `${num(value, 2)}x` : '-');
  const rows = report.scenarios.map((scenario) => {
    const { tessera } = scenario.results[level];
    const vs = (other) => (tessera?.rps !== undefined && other?.rps !== undefined ? ratio(tessera.rps, other.rps) : null);
    const vsCeiling = tessera?.rps !== undefined ? ratio(tessera.rps, ceiling.rps) : null;
    return [
      scenario.title,
      ...cells(tessera),
      ...peers.flatMap(({ key }) => cells(scenario.results[level][key])),
      ...peers.map(({ key }) => times(vs(scenario.results[level][key]))),
      vsCeiling ? `${num(vsCeiling * 100)}%` : '-',
    ];
  });
  rows.push(['ceiling: bare Fastify route', ...cells(ceiling), ...peers.flatMap(() => ['', '', '', '', '']), '']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (row) => row.map((cell, i) => pad(cell, widths[i], i > 0)).join('  ').trimEnd();
  return [`${connections} connections`, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Tessera's cluster mode next to its pinned single process and the peer, at one connection count. */
export function multicoreTable(report, connections) {
  const level = String(connections);
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'RSS MB', 'x pinned', 'x peer'];
  const rows = report.multicore.scenarios.map((scenario, i) => {
    const multi = scenario.results[level];
    const { tessera, peer } = report.scenarios[i].results[level];
    const times = (other) => (other?.rps ? `${num(multi.rps / other.rps, 2)}x` : '-');
    return [scenario.title, ...cells(multi), times(tessera), times(peer)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i]).length)));
  const line = (row) => row.map((cell, i) => pad(cell, widths[i], i > 0)).join('  ').trimEnd();
  return [`${connections} connections`, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** One verdict per figure of the issue, from the results of this run. */
export function verdicts(report) {
  const out = [];
  const get = (id, level, who) => measured(report.scenarios.find((s) => s.id === id)?.results[String(level)]?.[who]);
  for (const level of report.settings.connections) {
    const ceiling = measured(report.ceiling[String(level)]);
    const t4 = get('introspect_repeat', level, 'tessera');
    if (t4?.rps && ceiling?.rps) {
      out.push(check(`introspection of a live JWT >= 60% of the ceiling @${level}`, t4.rps / ceiling.rps >= 0.6, `${num(t4.rps)} vs ${num(ceiling.rps)} req/s = ${num((100 * t4.rps) / ceiling.rps)}%`));
    }
    /** Tessera's req/s over the in-memory peer's (or the Redis peer's) in scenario `id`, at least `target`. */
    const ratio = (id, what, target, against = 'peer') => {
      const t = get(id, level, 'tessera');
      const p = get(id, level, against);
      if (t?.rps && p?.rps) {
        const peer = against === 'peerRedis' ? 'the Redis peer' : 'the peer';
        out.push(check(`${what} >= ${target}x ${peer} @${level}`, t.rps / p.rps >= target, `${num(t.rps)} vs ${num(p.rps)} req/s = ${num(t.rps / p.rps, 2)}x`));
      }
    };
    ratio('refresh', 'refresh with rotation', 1.5);
    ratio('refresh', 'refresh with rotation', 2, 'peerRedis');
    const r2 = report.scenarios.find((s) => s.id === 'refresh')?.results[String(level)]?.tessera;
    if (r2 && !r2.na) {
      out.push(check(`refresh: no 5xx @${level}`, r2.statuses['5xx'] === 0 && r2.errors === 0, `${r2.statuses['5xx']} 5xx, ${r2.errors} errors, ${r2.non2xx} non-2xx`));
    }
    ratio('revoke', 'revocation (JWT)', 1);
    ratio('revoke_opaque', 'revocation (opaque access tokens)', 1);
    ratio('revoke_refresh', 'revocation (refresh tokens: a session each)', 1);
    ratio('introspect_refresh', 'introspection of a refresh token', 1.2);
    ratio('introspect_opaque', 'introspection of opaque access tokens', 1.5);
    ratio('introspect_opaque_repeat', 'introspection of opaque access tokens (repeats)', 1.5);
    ratio('introspect_distinct', 'introspection of distinct JWTs', 1);
    const t5 = get('introspect_distinct', level, 'tessera');
    const rate = report.verifyRate?.verificationsPerSecond;
    if (t5?.rps && rate) {
      out.push(check(`introspection of distinct JWTs within 10% of node:crypto's verification rate @${level}`, t5.rps >= 0.9 * rate, `${num(t5.rps)} req/s vs ${num(rate)} verifications/s = ${num((100 * t5.rps) / rate)}%`));
    }
    const t9 = get('code_redemption', level, 'tessera');
    const p9 = get('code_redemption', level, 'peer');
    if (t9?.rps && p9?.rps) {
      // Every redemption must succeed: a code that expired in the pool is a broken run, not a figure.
      const clean = t9.non2xx === 0 && p9.non2xx === 0;
      out.push(check(`code redemption >= 1.5x the peer @${level}`, clean && t9.rps / p9.rps >= 1.5, `${num(t9.rps)} vs ${num(p9.rps)} req/s = ${num(t9.rps / p9.rps, 2)}x${clean ? '' : `; ${t9.non2xx} / ${p9.non2xx} refused`}`));
    }
    const t3 = get('client_credentials', level, 'tessera');
    const p3 = get('client_credentials', level, 'peer');
    if (t3?.rps && p3?.rps) {
      out.push(check(`client_credentials >= 2.5x the peer (ES256) @${level}`, t3.rps / p3.rps >= 2.5, `${num(t3.rps)} vs ${num(p3.rps)} req/s = ${num(t3.rps / p3.rps, 2)}x`));
    }
    const t8 = get('introspect_during_logins', level, 'tessera');
    if (t8) {
      out.push(check(`introspection during the login flood: p99 < 20 ms @${level}`, t8.p99 < 20, `p99 ${num(t8.p99, 2)} ms at ${num(t8.rps)} req/s; logins meanwhile ${num(t8.alongside?.rps, 1)}/s`));
    }
  }
  const at128 = report.scenarios.map((s) => [s.title, measured(s.results['128']?.tessera)]).filter(([, r]) => r);
  if (at128.length) {
    const [title, worst] = at128.reduce((a, b) => (b[1].peakRssBytes > a[1].peakRssBytes ? b : a));
    const all = at128.length === report.scenarios.length;
    out.push(
      check(
        'peak RSS < 200 MB at 128 connections (every scenario)',
        worst.peakRssBytes >= 200 * MB ? false : all ? true : null,
        `worst ${num(worst.peakRssBytes / MB)} MB (${title})${all ? '' : `; ${report.scenarios.length - at128.length} scenario(s) without a measurement`}`,
      ),
    );
  }
  for (const { title, targetP99Ms, connections, results } of report.openLoop ?? []) {
    const t = results.tessera;
    if (!t) continue;
    const clean = t.errors === 0 && t.statuses['5xx'] === 0;
    out.push(check(`open loop at half the maximum: ${title} p99 <= ${targetP99Ms} ms @${connections}`, clean && t.p99 <= targetP99Ms, `p99 ${num(t.p99, 2)} ms, p99.9 ${num(t.p999, 2)} ms at ${num(t.offeredRate)}/s${clean ? '' : `; ${t.statuses['5xx']} 5xx, ${t.errors} errors`}`));
  }
  return [...out, ...signalsVerdicts(report.signals)];
}

/** Open-loop latencies (bench/open-loop.mjs) as text: one line per scenario and server. */
export function openLoopText(report) {
  const lines = [
    `Open loop: requests due at half of each server's own closed-loop maximum @${report.openLoop[0].connections} (the bare route: at the highest of those rates), timed from when each was due (ms)`,
  ];
  for (const { title, targetP99Ms, results } of report.openLoop) {
    for (const [who, r] of Object.entries(results)) {
      const trouble = r.errors + r.statuses['5xx'] > 0 ? ` (${r.statuses['5xx']} 5xx, ${r.errors} errors)` : '';
      lines.push(`  ${title.padEnd(44)} ${who.padEnd(8)} ${num(r.offeredRate).padStart(6)}/s offered, ${num(r.achievedRate).padStart(6)}/s answered 2xx: p50 ${num(r.p50, 2)}, p99 ${num(r.p99, 2)}${targetP99Ms === null ? '' : ` (target ${targetP99Ms})`}, p99.9 ${num(r.p999, 2)}; the generator's own delay p99 ${num(r.generatorDelay.p99, 1)}, max ${num(r.generatorDelay.max, 1)}${trouble}`);
    }
  }
  return lines.join('\n');
}

/** The ceiling of distinct-JWT introspection on this machine (bench/verify-rate.mjs). */
export function verifyRateText(report) {
  const { verificationsPerSecond, tokens } = report.verifyRate;
  return `node:crypto alone, on the servers' core, verifies ${num(verificationsPerSecond)} of the distinct tokens' ES256 signatures per second (${num(tokens)} tokens in turn): no server introspects them faster on one core.`;
}

/** `met`: true, false, or null when the run measured too little to judge. */
function check(what, met, detail) {
  return { what, met, detail };
}

/** Figures worth judging: a run that got 2xx responses and no connection errors. */
export function measured(result) {
  return result && !result.na && result.rps > 0 && result.errors === 0 && result.p99 !== null ? result : undefined;
}

export function verdictText(list) {
  const mark = (met) => (met === true ? 'met    ' : met === false ? 'NOT MET' : 'n/j    ');
  return list.map((v) => `${mark(v.met)}  ${v.what}: ${v.detail}`).join('\n');
}

/** The revocation-signals figures (bench/signals.mjs) as text. */
export function signalsText(signals) {
  if (!signals) return '';
  const { latency, throughput, memory, settings } = signals;
  const ms = (value) => (value === null ? '-' : num(value, 1));
  const row = (label, l, note) => [label, String(l.samples), ms(l.p50), ms(l.p99), ms(l.max), note];
  const rows = [
    row('signals (SSF poll stream + view)', latency.signals, latency.signals.notRefused ? `${latency.signals.notRefused} never refused` : 'measured'),
    row('per-request introspection', latency.introspection, latency.introspection.notRefused ? `${latency.introspection.notRefused} never refused` : 'measured'),
    row(`offline JWT, no signals (TTL ${settings.accessTokenTtl} s)`, latency.offline, `computed exp - revocation; ${latency.offline.stillAccepted}/${latency.offline.count} still accepted ${latency.offline.stillAcceptedAfterMs} ms after`),
  ];
  const header = ['revocation to refusal', 'n', 'p50 ms', 'p99 ms', 'max ms', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((cell, i) => pad(cell, widths[i], i > 0 && i < 5)).join('  ').trimEnd();
  const lines = [
    `Revocation signals: a resource server with @tessera/resource-server (Fastify) in its own process; admin API ends a session while ${settings.loadConnections} connections load the resource server; prober every ${settings.probeEveryMs} ms`,
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '',
  ];
  for (const [level, { guard, introspection }] of Object.entries(throughput)) {
    lines.push(
      `resource server @${level}: guard ${num(guard.rps)} req/s (p99 ${num(guard.p99, 2)} ms) vs per-request introspection ${num(introspection.rps)} req/s (p99 ${num(introspection.p99, 2)} ms) = ${num(ratio(guard.rps, introspection.rps), 2)}x`,
    );
  }
  lines.push(`revocation view: ${num(memory.heapBytes / MB, 1)} MB of heap per ${num(memory.entries)} revoked sessions (${num(memory.bytesPerEntry)} bytes each)`);
  return lines.join('\n');
}

/** Introspection before and while back-channel logouts wait for an endpoint that never answers. */
export function backchannelText(backchannel) {
  if (!backchannel) return '';
  const { before, during, queueDepth, connections } = backchannel;
  const figure = (m) => `${num(m.rps)} req/s, p50 ${num(m.p50, 2)} ms, p99 ${num(m.p99, 2)} ms${m.non2xx || m.errors ? ' !' : ''}`;
  return [
    `Back-channel logout: introspection of a live JWT @${connections}, with nothing owed: ${figure(before)}`,
    `  while ${queueDepth.before} logouts wait for an endpoint that never answers (${queueDepth.after} still waiting after): ${figure(during)}`,
  ].join('\n');
}

/** Verdicts on the revocation-signals figures of the issue. */
export function signalsVerdicts(signals) {
  if (!signals) return [];
  const out = [];
  const l = signals.latency.signals;
  out.push(check('revocation to refusal with signals: p99 <= 1 s', l.samples === 0 ? null : l.p99 <= 1000 && l.notRefused === 0, `p50 ${num(l.p50, 1)} ms, p99 ${num(l.p99, 1)} ms, max ${num(l.max, 1)} ms over ${l.samples}${l.notRefused ? `, ${l.notRefused} never refused` : ''}`));
  for (const [level, { guard, introspection }] of Object.entries(signals.throughput)) {
    const g = measured(guard);
    const i = measured(introspection);
    out.push(check(`resource server: guard >= 5x per-request introspection @${level}`, g && i ? g.rps / i.rps >= 5 : null, `${num(guard.rps)} vs ${num(introspection.rps)} req/s = ${num(ratio(guard.rps, introspection.rps), 2)}x`));
  }
  return out;
}

/** JWT introspection before, during and after a mass logout (bench/mass-logout.mjs). */
export function massLogoutText(massLogout) {
  if (!massLogout) return '';
  const { families, revoked, liveSessions, connections, seedSeconds, revokeSeconds, learnSeconds } = massLogout;
  const figure = (label, m) =>
    `  ${label.padEnd(6)} ${num(m.rps).padStart(7)} req/s over ${num(m.seconds, 1)} s, p99 ${num(m.p99, 2)} ms${m.non2xx || m.errors ? ` (${num(m.statuses['5xx'])} 5xx of which ${num(m.unavailable)} 503, ${num(m.non2xx)} non-2xx, ${num(m.errors)} errors)` : ''}; ` +
    `${num(m.databaseChecks)} database checks (${num(m.databaseChecksPerIntrospection, 5)} per introspection); ` +
    `RSS peak ${num(m.peakRssBytes / MB)} MB, after ${num(m.rssAfterBytes / MB)} MB; view ${num(m.view.entries)} exact + ${num(m.view.overflowEntries)} in the filter`;
  return [
    `Mass logout: ${num(revoked)} of ${num(families)} seeded sessions revoked in one statement (seeded in ${num(seedSeconds, 1)} s; committed after ${num(revokeSeconds, 1)} s, all in the view after ${num(learnSeconds, 1)} s); introspection of ${liveSessions} live sessions' JWTs @${connections}`,
    figure('before', massLogout.before),
    figure('during', massLogout.during),
    figure('after', massLogout.after),
  ].join('\n');
}
