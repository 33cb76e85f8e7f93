#!/usr/bin/env node
// CI: the monitoring files in deploy/ work and name only metrics Tessera exports.
//   - the alert rules pass `promtool check rules`, and their unit tests `promtool test rules`;
//   - the dashboard matches deploy/grafana/dashboard.schema.json (ajv), and what a schema
//     cannot say: unique ids, panels that fit the 24-column grid without overlapping,
//     variables that exist;
//   - every PromQL expression of the dashboard parses (promtool checks it as a recording rule);
//   - every tessera_*, process_* and nodejs_* name in deploy/ is one Tessera's registry exports.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Ajv from 'ajv';
import { buildIfNeeded } from './build-if-needed.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ALERTS = join(root, 'deploy', 'prometheus', 'tessera-alerts.yml');
const ALERT_TESTS = join(root, 'deploy', 'prometheus', 'tessera-alerts.test.yml');
const DASHBOARD = join(root, 'deploy', 'grafana', 'tessera-dashboard.json');
const SCHEMA = join(root, 'deploy', 'grafana', 'dashboard.schema.json');
const METRIC_NAME = /\b(?:tessera|process|nodejs)_[A-Za-z0-9_:]*/g;
// Grafana's own variables, each replaced by a value PromQL accepts for the syntax check.
const GRAFANA_VARIABLES = { __rate_interval: '5m', __interval: '1m', __range: '1h' };

const failures = [];
const fail = (message) => failures.push(message);

function run(command, args, options = {}) {
  return spawnSync(command, args, { encoding: 'utf8', ...options });
}

/**
 * promtool from PATH, else from Debian's prometheus package: only the binary is unpacked
 * (into node_modules/.cache), since installing the package would also create a system
 * user and a prometheus service that nothing here needs.
 */
function promtool() {
  if (run('promtool', ['--version']).status === 0) return 'promtool';
  const cached = join(root, 'node_modules', '.cache', 'promtool', 'promtool');
  if (existsSync(cached)) return cached;
  process.stderr.write('check-deploy: promtool missing; unpacking it from Debian\'s prometheus package\n');
  const work = mkdtempSync(join(tmpdir(), 'promtool-'));
  try {
    let download = run('apt-get', ['download', '-qq', 'prometheus'], { cwd: work });
    if (download.status !== 0) {
      run('apt-get', ['update', '-qq'], { stdio: 'inherit' });
      download = run('apt-get', ['download', '-qq', 'prometheus'], { cwd: work });
    }
    const deb = readdirSync(work).find((name) => name.endsWith('.deb'));
    if (download.status !== 0 || !deb) throw new Error(`apt-get download prometheus failed: ${download.stderr ?? download.error}`);
    mkdirSync(dirname(cached), { recursive: true });
    const unpack = run('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -O ./usr/bin/promtool > "$2"', 'sh', join(work, deb), cached]);
    if (unpack.status !== 0) throw new Error(`unpacking promtool failed: ${unpack.stderr}`);
    chmodSync(cached, 0o755);
    return cached;
  } catch (error) {
    rmSync(cached, { force: true });
    process.stderr.write(`check-deploy: ${error.message}\n`);
    process.exit(1);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Every sample name Tessera's registry can export, histogram series included. */
async function exportedNames() {
  buildIfNeeded();
  const { PrometheusMetrics } = await import(pathToFileURL(join(root, 'dist', 'src', 'metrics', 'prometheus-metrics.js')).href);
  const metrics = new PrometheusMetrics(() => ({ total: 0, idle: 0, waiting: 0 }));
  const names = new Set();
  for (const { name, type } of await metrics.registry.getMetricsAsJSON()) {
    names.add(name);
    if (type === 'histogram' || type === 'summary') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

function checkNames(file, text, known) {
  for (const name of new Set(text.match(METRIC_NAME) ?? [])) {
    if (!known.has(name)) fail(`${file}: ${name} is not a metric Tessera exports`);
  }
}

function promtoolCheck(tool, args, cwd) {
  const result = run(tool, args, { cwd });
  if (result.status !== 0) fail(`promtool ${args.join(' ')}:\n${result.stdout}${result.stderr}`);
  else process.stdout.write(result.stdout);
}

function panelsOf(dashboard) {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

function checkLayout(panels) {
  const ids = new Set();
  for (const panel of panels) {
    if (ids.has(panel.id)) fail(`dashboard: panel id ${panel.id} is used twice`);
    ids.add(panel.id);
    const { x, w } = panel.gridPos;
    if (x + w > 24) fail(`dashboard: panel ${panel.id} ends past the 24th column`);
    const refIds = (panel.targets ?? []).map((target) => target.refId);
    if (new Set(refIds).size !== refIds.length) fail(`dashboard: panel ${panel.id} repeats a refId`);
  }
  for (const [i, a] of panels.entries()) {
    for (const b of panels.slice(i + 1)) {
      const [p, q] = [a.gridPos, b.gridPos];
      if (p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h) fail(`dashboard: panels ${a.id} and ${b.id} overlap`);
    }
  }
}

/** The expression with Grafana's variables replaced, or undefined (and a failure) when one is unknown. */
function concrete(expr, variables, where) {
  let unknown;
  const replaced = expr.replace(/\$(?:\{(\w+)(?::\w+)?\}|(\w+))/g, (_match, braced, bare) => {
    const name = braced ?? bare;
    if (name in GRAFANA_VARIABLES) return GRAFANA_VARIABLES[name];
    if (variables.has(name)) return '.*';
    unknown = name;
    return '';
  });
  if (unknown !== undefined) fail(`${where}: unknown variable $${unknown}`);
  return unknown === undefined ? replaced : undefined;
}

function checkDashboard(tool, text) {
  let dashboard;
  try {
    dashboard = JSON.parse(text);
  } catch (error) {
    fail(`dashboard: not JSON (${error.message})`);
    return;
  }
  const ajv = new Ajv({ allErrors: true });
  const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')));
  if (!validate(dashboard)) {
    for (const error of validate.errors) fail(`dashboard${error.instancePath}: ${error.message}`);
    return;
  }
  const panels = panelsOf(dashboard);
  checkLayout(panels);
  const variables = new Set(dashboard.templating.list.map((variable) => variable.name));
  const rules = [];
  for (const panel of panels) {
    for (const target of panel.targets ?? []) {
      const where = `dashboard panel ${panel.id} (${panel.title}) ${target.refId}`;
      if (!/\btessera_/.test(target.expr)) fail(`${where}: names no tessera_* metric`);
      for (const ds of [panel.datasource, target.datasource].filter(Boolean)) concrete(ds.uid, variables, where);
      const expr = concrete(target.expr, variables, where);
      if (expr !== undefined) rules.push({ record: `dashboard:panel_${panel.id}:${target.refId}`, expr });
    }
  }
  // promtool parses PromQL only in rule files: each expression becomes a recording rule.
  const work = mkdtempSync(join(tmpdir(), 'tessera-dashboard-'));
  try {
    const file = join(work, 'dashboard-expressions.yml');
    const body = rules.map((rule) => `      - record: ${rule.record}\n        expr: ${JSON.stringify(rule.expr)}\n`).join('');
    writeFileSync(file, `groups:\n  - name: tessera-dashboard\n    rules:\n${body}`);
    promtoolCheck(tool, ['check', 'rules', file], work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const tool = promtool();
const known = await exportedNames();
promtoolCheck(tool, ['check', 'rules', ALERTS], root);
promtoolCheck(tool, ['test', 'rules', ALERT_TESTS], root);
const dashboard = readFileSync(DASHBOARD, 'utf8');
checkDashboard(tool, dashboard);
for (const [file, text] of [
  ['deploy/prometheus/tessera-alerts.yml', readFileSync(ALERTS, 'utf8')],
  ['deploy/prometheus/tessera-alerts.test.yml', readFileSync(ALERT_TESTS, 'utf8')],
  ['deploy/grafana/tessera-dashboard.json', dashboard],
]) {
  checkNames(file, text, known);
}

if (failures.length > 0) {
  process.stderr.write(`check-deploy: ${failures.length} problem(s)\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('check-deploy: alert rules, their tests and the dashboard are valid\n');
