import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeOnPostgres } from '../setup/database.js';
import { childEnv, startNode } from '../setup/processes.js';

const SCENARIOS = [
  'login',
  'refresh',
  'client_credentials',
  'introspect_repeat',
  'introspect_distinct',
  'introspect_refresh',
  'revoke',
  'dpop_client_credentials',
  'dpop_refresh',
  'introspect_during_logins',
];
// oidc-provider has no password grant: no login, and no login flood to introspect during.
const PEER_NOT_APPLICABLE = new Set(['login', 'introspect_during_logins']);
const LEVELS = ['32', '128'];

interface Measured {
  rps: number;
  p50: number | null;
  p99: number | null;
  requests: number;
  statuses: Record<string, number>;
  peakRssBytes: number;
  cpuCores: number;
}

type Result = Measured | { na: string };

interface Report {
  mode: string;
  settings: { connections: number[]; pinned: boolean };
  machine: { cores: number; node: string; postgres: { version: string } };
  ceiling: Record<string, Measured>;
  scenarios: Array<{ id: string; title: string; results: Record<string, { tessera: Result; peer: Result }> }>;
  verdicts: Array<{ what: string; met: boolean; detail: string }>;
}

function expectMeasured(result: Result | undefined): void {
  expect(result).toEqual(
    expect.objectContaining({
      rps: expect.any(Number),
      requests: expect.any(Number),
      statuses: expect.objectContaining({ '2xx': expect.any(Number), '5xx': expect.any(Number) }),
      peakRssBytes: expect.any(Number),
      cpuCores: expect.any(Number),
    }),
  );
}

/**
 * The benchmark runs end to end in --quick mode and reports every scenario for Tessera, the
 * peer and the ceiling. Never a timing assertion: only that it runs and what it reports.
 * It needs a real Postgres (it makes its own throwaway database), so it runs where
 * DATABASE_URL is set.
 */
describeOnPostgres('npm run bench -- --quick', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every scenario against Tessera, oidc-provider and the bare Fastify ceiling, and writes the JSON', async () => {
    const out = join(dir, 'quick.json');
    const bench = startNode(['bench/run.mjs', '--quick', '--out', out], childEnv({ DATABASE_URL: process.env.DATABASE_URL }));
    // Bounded: SIGTERM lets the benchmark stop its servers and drop its database first.
    const stop = setTimeout(() => bench.child.kill('SIGTERM'), 270_000);
    const finished = await bench.finish(300_000).finally(() => clearTimeout(stop));
    expect({ code: finished.code, stderr: finished.code === 0 ? '' : finished.stderr.slice(-3000) }).toEqual({ code: 0, stderr: '' });

    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(report.mode).toBe('quick');
    expect(report.settings.connections).toEqual([32, 128]);
    expect(report.machine).toEqual(
      expect.objectContaining({ cores: expect.any(Number), node: process.version, postgres: expect.objectContaining({ version: expect.any(String) }) }),
    );
    for (const level of LEVELS) expectMeasured(report.ceiling[level]);
    expect(report.scenarios.map((scenario) => scenario.id)).toEqual(SCENARIOS);
    for (const scenario of report.scenarios) {
      for (const level of LEVELS) {
        const { tessera, peer } = scenario.results[level];
        expectMeasured(tessera);
        if (PEER_NOT_APPLICABLE.has(scenario.id)) expect(peer).toEqual({ na: expect.any(String) });
        else expectMeasured(peer);
      }
    }
    expect(report.verdicts.length).toBeGreaterThan(0);

    // The printed table: one block per connection count, every scenario, and the ceiling.
    for (const level of LEVELS) expect(finished.stdout).toContain(`${level} connections`);
    for (const scenario of report.scenarios) expect(finished.stdout).toContain(scenario.title);
    expect(finished.stdout).toContain('ceiling: bare Fastify route');
    expect(finished.stdout).toContain('Targets (issue figures):');
  }, 320_000);
});
