// Gateway: the LLM gateway mounted in this server (berth server
// --gateway-config) — its endpoints and routes, its gateway keys (never a
// secret) and the usage it wrote back: requests, tokens, errors and
// latency per endpoint and per key, from the usage runs of the
// berth-gateway experiment (docs/gateway.md).
import { h, clear, table, fmtNum, fmtTime, latestMetrics, toMap } from './dom.js';
import { post, metricHistory, quote, berth } from './api.js';
import { historyChart } from './charts.js';
import { total } from './production.js';

const experiment = 'berth-gateway';

// usageExperiment returns the id of the berth-gateway experiment, or ''
// before the gateway has written any usage (searching: no 404 in the
// console).
async function usageExperiment() {
  const r = await post('experiments/search', { filter: 'name = ' + quote(experiment), max_results: 1 });
  return ((r.experiments || [])[0] || {}).experiment_id || '';
}

const sig = (v, n) => (v === undefined || v === null ? '' : fmtNum(Number(Number(v).toPrecision(n))));
const usd = (v) => (v ? '$' + sig(v, 3) : '$0');
const plural = (n, one) => `${fmtNum(n)} ${one}${n === 1 ? '' : 's'}`;

function endpointsTable(info) {
  if (!info.endpoints.length) {
    return h('p', { class: 'muted' }, info.configured ? 'The config has no endpoints.'
      : 'No gateway config: start the server with --gateway-config FILE to mount one.');
  }
  return table(['Endpoint', 'Type', 'Provider', 'Model', 'Limit', 'Timeout', 'Retries', 'Fallbacks'],
    info.endpoints.map((e) => [h('code', null, e.name), e.endpoint_type, e.provider, e.model || '', e.limit || '',
      sig(e.timeout_seconds, 3) + ' s', String(e.max_retries), (e.fallbacks || []).join(' → ')]),
    { class: 'list gateway-endpoints' });
}

function routesTable(info) {
  if (!info.routes.length) return null;
  return h('div', null, h('h3', null, 'Routes'),
    table(['Route', 'Task', 'Destinations'], info.routes.map((r) => [h('code', null, r.name), r.task_type,
      r.destinations.map((d) => `${d.endpoint} ${d.traffic_percentage}%`).join(', ')]), { class: 'list gateway-routes' }));
}

// keyStatus is a key's state now.
function keyStatus(k) {
  if (k.revoked_at) return h('span', { class: 'drift-drift', title: 'revoked ' + k.revoked_at }, 'revoked');
  if (k.expires_at && Date.parse(k.expires_at) <= Date.now()) return h('span', { class: 'drift-warning' }, 'expired');
  return h('span', { class: 'drift-ok' }, 'active');
}

// limits sums up a key's limits and budgets in a few words.
function limits(k) {
  const parts = [];
  if (k.requests_per_minute) parts.push(`${fmtNum(k.requests_per_minute)} req/min`);
  if (k.tokens_per_minute) parts.push(`${fmtNum(k.tokens_per_minute)} tok/min`);
  if (k.day_tokens) parts.push(`${fmtNum(k.day_tokens)} tok/day`);
  if (k.month_tokens) parts.push(`${fmtNum(k.month_tokens)} tok/month`);
  if (k.day_spend_usd) parts.push(`${usd(k.day_spend_usd)}/day`);
  if (k.month_spend_usd) parts.push(`${usd(k.month_spend_usd)}/month`);
  return parts.join(', ') || 'none';
}

const used = (u) => `${plural(u.requests, 'req')}, ${plural(u.tokens, 'token')}, ${usd(u.cost_usd)}`;

function keysTable(keys) {
  if (!keys.required) {
    return h('p', { class: 'muted' }, 'Gateway keys are off: the gateway answers without a key (start the server with ',
      h('code', null, '--gateway-keys'), ' and create keys with ', h('code', null, 'berth gateway keys create'), ').');
  }
  if (!keys.keys.length) return h('p', { class: 'muted' }, 'No gateway key yet: create one with ', h('code', null, 'berth gateway keys create'), '.');
  return table(['Key', 'Id', 'Secret', 'Endpoints', 'Limits', 'Used today', 'Used this month', 'Expires', 'Status'],
    keys.keys.map((k) => [h('code', null, k.name), h('code', null, k.id), h('code', null, k.hint),
      (k.endpoints || []).length ? k.endpoints.join(', ') : 'all', limits(k), used(k.today), used(k.this_month),
      k.expires_at ? fmtTime(Date.parse(k.expires_at)) : 'never', keyStatus(k)]),
    { class: 'list gateway-keys' });
}

// A usage run's report interval in ms (for summing processes).
const intervalOf = (run) => 1000 * (Number((latestMetrics(run)['gateway.interval_s'] || {}).value) || 60);

// usageCharts draws one endpoint's usage, summed over the gateway
// processes (runs) that report it: requests/s, tokens, errors, latency,
// and requests and tokens per key.
async function usageCharts(endpoint, runs) {
  const keysOf = new Set();
  for (const run of runs) {
    for (const k of Object.keys(latestMetrics(run))) {
      const m = /^gateway\.key\.(.+)\.requests$/.exec(k);
      if (m) keysOf.add(m[1]);
    }
  }
  const keys = [...keysOf].sort();
  const cache = new Map();
  const hist = (run, k) => {
    const id = run.info.run_id + ' ' + k;
    if (!cache.has(id)) cache.set(id, latestMetrics(run)[k] ? metricHistory(run.info.run_id, k) : Promise.resolve([]));
    return cache.get(id);
  };
  // sum is metric k summed over the processes, one series named label.
  const sum = async (label, k) => {
    const per = await Promise.all(runs.map(async (run) => ({ every: intervalOf(run), points: await hist(run, k) })));
    const some = per.filter((x) => x.points.length);
    return { label, start: 0, points: some.length === 1 ? some[0].points : total(some) };
  };
  const chart = (title, series) => {
    const s = series.filter((x) => x.points.length);
    return s.length ? historyChart(title, s, 'wall') : null;
  };
  const [rate, input, output, e4, e5, p50, p95, keyReqs, keyTokens] = await Promise.all([
    sum('requests/s', 'gateway.request_rate'), sum('input', 'gateway.input_tokens'), sum('output', 'gateway.output_tokens'),
    sum('client (4xx)', 'gateway.client_errors'), sum('server (5xx)', 'gateway.server_errors'),
    sum('p50', 'gateway.latency_p50_ms'), sum('p95', 'gateway.latency_p95_ms'),
    Promise.all(keys.map((k) => sum(k, `gateway.key.${k}.requests`))),
    Promise.all(keys.map(async (k) => {
      const [i, o] = await Promise.all([sum(k, `gateway.key.${k}.input_tokens`), sum(k, `gateway.key.${k}.output_tokens`)]);
      const out = new Map(o.points.map((p) => [Number(p.timestamp), Number(p.value)]));
      return { ...i, points: i.points.map((p) => ({ ...p, value: Number(p.value) + (out.get(Number(p.timestamp)) || 0) })) };
    })),
  ]);
  const latest = runs.map(latestMetrics);
  const last = (k) => latest.reduce((a, m) => a + (m[k] ? Number(m[k].value) : 0), 0);
  return h('section', { class: 'card gateway-usage', 'data-endpoint': endpoint },
    h('h3', null, endpoint),
    h('p', { class: 'muted' }, `${plural(runs.length, 'gateway process')} · last interval: ${sig(last('gateway.request_rate'), 3)} requests/s, `
      + `${fmtNum(last('gateway.input_tokens') + last('gateway.output_tokens'))} tokens, ${usd(last('gateway.cost_usd'))}`),
    h('div', { class: 'charts' },
      chart('requests per second', [rate]),
      chart('tokens per interval', [input, output]),
      chart('errors per interval', [e5, e4]),
      chart('latency (ms)', [p50, p95]),
      keys.length ? chart('requests per interval, by key', keyReqs) : null,
      keys.length ? chart('tokens per interval, by key', keyTokens) : null));
}

async function usageSection(stale) {
  const expID = await usageExperiment();
  if (!expID) {
    return h('p', { class: 'muted' }, 'No usage reported yet: the gateway writes each endpoint\'s usage every ',
      h('code', null, '--report-interval'), ' (default 1m) once it has served a query.');
  }
  const r = await post('runs/search', { experiment_ids: [expID], max_results: 200, order_by: ['attributes.start_time DESC'] });
  if (stale()) return null;
  const byEndpoint = new Map();
  for (const run of r.runs || []) {
    const ep = toMap(run.data.tags)['berth.gateway.endpoint'];
    if (!ep) continue;
    if (!byEndpoint.has(ep)) byEndpoint.set(ep, []);
    byEndpoint.get(ep).push(run);
  }
  if (!byEndpoint.size) return h('p', { class: 'muted' }, 'No usage reported yet.');
  const names = [...byEndpoint.keys()].sort();
  return h('div', null, ...(await Promise.all(names.map((ep) => usageCharts(ep, byEndpoint.get(ep))))));
}

export async function gatewayPage(el, stale) {
  const [info, keys] = await Promise.all([berth('gateway/endpoints'), berth('gateway/keys')]);
  if (stale()) return;
  const usage = await usageSection(stale);
  if (stale()) return;
  clear(el,
    h('h1', null, 'Gateway'),
    h('p', { class: 'muted' }, 'The LLM gateway mounted in this server: MLflow\'s deployments API and OpenAI-compatible routes (see docs/gateway.md).'),
    h('section', { class: 'card' }, h('h2', null, 'Endpoints'), endpointsTable(info), routesTable(info)),
    h('section', { class: 'card' }, h('h2', null, 'Keys'), keysTable(keys)),
    h('section', { class: 'card' }, h('h2', null, 'Usage'), usage));
}
