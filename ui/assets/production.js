// Production: what berth serve wrote back about the versions it serves —
// request rate, latency and errors per report interval, and drift per
// window (status, PSI and KS over time, reference against current
// histograms) — read from the monitoring runs of the berth-monitoring
// experiment and the versions' tags.
import { h, clear, errorBox, table, kv, fmtNum, fmtTime, link, toMap, latestMetrics } from './dom.js';
import { get, post, metricHistory, runArtifact, quote, ident } from './api.js';
import { historyChart, histogram, sparkline } from './charts.js';

const experiment = 'berth-monitoring';
const windowArtifact = 'drift/window.json';
export const versionHref = (name, version) => '#/models/' + encodeURIComponent(name) + '?version=' + encodeURIComponent(version);

// monitoringExperiment returns the id of the berth-monitoring experiment,
// or '' when no server has written back yet.
// (Searching rather than get-by-name: no 404 in the console before then.)
async function monitoringExperiment() {
  const r = await post('experiments/search', { filter: 'name = ' + quote(experiment), max_results: 1 });
  return ((r.experiments || [])[0] || {}).experiment_id || '';
}

// ago says how long before now a time was, roughly.
function ago(t) {
  const ms = Date.now() - (typeof t === 'string' ? Date.parse(t) : Number(t));
  if (!Number.isFinite(ms)) return '';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return s + ' s ago';
  if (s < 5400) return Math.round(s / 60) + ' min ago';
  if (s < 172800) return Math.round(s / 3600) + ' h ago';
  return Math.round(s / 86400) + ' days ago';
}

const statusChip = (s) => (s ? h('span', { class: 'drift-' + s }, s) : h('span', { class: 'muted' }, 'unknown'));
const ms = (v) => (v === undefined ? '' : fmtNum(Number(Number(v).toPrecision(3))) + ' ms');
const pct = (v) => (v === undefined ? '' : fmtNum(Number((100 * Number(v)).toPrecision(3))) + ' %');
const metric = (latest, key) => (latest[key] ? Number(latest[key].value) : undefined);

// productionSummary is a version's production state in a few words, from
// its tags: its drift status and when berth serve last reported it.
export function productionSummary(tags) {
  const status = tags['berth.drift.status'], last = tags['berth.serving.last_report'];
  if (!status && !last) return '';
  return h('span', { class: 'production-summary' }, status ? ['drift ', statusChip(status)] : null,
    last ? h('span', { class: 'muted', title: last }, (status ? ' · ' : '') + 'served ' + ago(last)) : null);
}

// productionPage lists every model version berth serve has reported on,
// newest report first, with its latest serving figures and drift status.
export async function productionPage(el, stale) {
  const expID = await monitoringExperiment();
  const runs = [];
  if (expID) {
    let token = '';
    do {
      const r = await post('runs/search', { experiment_ids: [expID], max_results: 1000, page_token: token || undefined,
        filter: `tags.${ident('mlflow.source.name')} = 'berth serve'` });
      runs.push(...(r.runs || []));
      token = r.next_page_token || '';
    } while (token && !stale());
  }
  const rows = await Promise.all(runs.map(async (run) => {
    const tags = toMap(run.data.tags);
    const name = tags['berth.model'], version = tags['berth.model_version'];
    let mv = null;
    try { mv = (await get('model-versions/get', { name, version })).model_version; } catch { /* deleted since */ }
    return { run, name, version, mv, vtags: toMap(mv && mv.tags), latest: latestMetrics(run) };
  }));
  const last = (r) => Math.max(Date.parse(r.vtags['berth.serving.last_report'] || '') || 0, Date.parse(r.vtags['berth.drift.last_window'] || '') || 0);
  rows.sort((a, b) => last(b) - last(a));
  clear(el,
    h('h1', null, 'Production'),
    h('p', { class: 'muted' }, 'Model versions that berth serve reports on: it logs request rate, latency and errors, and each closed drift window, to a monitoring run in the ',
      expID ? link('#/experiments/' + encodeURIComponent(expID), experiment) : experiment, ' experiment and tags the version.'),
    rows.length
      ? table(['Model version', 'Aliases', 'Drift', 'Worst feature', 'Requests/s', 'p95 latency', 'Errors', 'Last report', 'Monitoring run'], rows.map((r) => [
        link(versionHref(r.name, r.version), `${r.name} v${r.version}`),
        h('span', { class: 'chips' }, ((r.mv && r.mv.aliases) || []).map((a) => h('span', { class: 'chip' }, '@' + a))),
        statusChip(r.vtags['berth.drift.status']),
        r.vtags['berth.drift.worst_feature'] || '',
        h('span', { class: 'num' }, fmtNum(metric(r.latest, 'serving.request_rate') === undefined ? '' : Number(metric(r.latest, 'serving.request_rate').toPrecision(4)))),
        ms(metric(r.latest, 'serving.latency_p95_ms')),
        pct(metric(r.latest, 'serving.error_rate')),
        last(r) ? h('span', { title: new Date(last(r)).toISOString() }, ago(last(r))) : '',
        link('#/runs/' + encodeURIComponent(r.run.info.run_id), r.run.info.run_name || r.run.info.run_id.slice(0, 8)),
      ]), { class: 'list production-list' })
      : h('p', { class: 'muted' }, 'No served model version has reported yet. Serve a registered model with `berth serve models:/NAME@ALIAS --registry-uri URL`; it reports here every --report-interval, and each drift window when the model has a drift reference.'));
}

// monitoringRun finds the monitoring run of a model version, or null.
async function monitoringRun(name, version) {
  const expID = await monitoringExperiment();
  if (!expID) return null;
  const r = await post('runs/search', {
    experiment_ids: [expID], max_results: 1, order_by: ['attributes.start_time ASC'],
    filter: `tags.${ident('berth.model')} = ${quote(name)} and tags.${ident('berth.model_version')} = ${quote(version)}`,
  });
  return (r.runs || [])[0] || null;
}

// productionPanel shows what berth serve wrote back about version v of
// model name: serving charts, drift status, statistics over time and
// the last window's histograms.
export async function productionPanel(box, name, v) {
  const tags = toMap(v.tags);
  const status = tags['berth.drift.status'];
  const lastReport = tags['berth.serving.last_report'];
  const serving = h('div', { class: 'serving' });
  const driftBox = h('div', { class: 'drift' });
  clear(box, h('h3', null, 'Production'),
    h('h4', null, 'Serving'),
    lastReport
      ? kv([['Last report', h('span', { title: lastReport }, ago(lastReport) + ' (' + fmtTime(Date.parse(lastReport)) + ')')],
        ['Reported by', tags['berth.serving.instance'] || '']])
      : h('p', { class: 'muted' }, `No serving report for this version yet (berth serve reports when it serves models:/${name} from this registry).`),
    serving,
    h('h4', null, 'Drift'),
    status
      ? kv([
        ['Drift status', statusChip(status)],
        ['Worst feature', tags['berth.drift.worst_feature'] || ''],
        ['Last window', tags['berth.drift.last_window'] || ''],
      ])
      : h('p', { class: 'muted' }, `No drift window reported for this version yet (berth serve writes them when it serves models:/${name} with a drift reference).`),
    driftBox);
  if (!status && !lastReport) return;
  try {
    const run = await monitoringRun(name, v.version);
    if (!run) return;
    const id = run.info.run_id, start = run.info.start_time;
    const keys = new Set((run.data.metrics || []).map((m) => m.key));
    const hist = async (k) => (keys.has(k) ? metricHistory(id, k) : []);
    const chart = async (title, list, axis) => {
      const series = (await Promise.all(list.map(async ([label, k]) => ({ label, start, points: await hist(k) })))).filter((s) => s.points.length);
      return series.length ? historyChart(title, series, axis) : null;
    };
    const runLink = h('p', null, 'Monitoring run ', link('#/runs/' + encodeURIComponent(id), run.info.run_name || id), '.');
    if (lastReport) {
      clear(serving, h('div', { class: 'charts' }, await Promise.all([
        chart('requests per second', [['requests/s', 'serving.request_rate']], 'wall'),
        chart('latency (ms)', [['p50', 'serving.latency_p50_ms'], ['p95', 'serving.latency_p95_ms'], ['p99', 'serving.latency_p99_ms']], 'wall'),
        chart('errors per report', [['server (5xx)', 'serving.server_errors'], ['client (4xx)', 'serving.client_errors']], 'wall'),
      ])));
    }
    if (status) {
      const features = [...keys].filter((k) => k.startsWith('drift.') && k.endsWith('.drifted')).map((k) => k.slice(6, -8)).sort();
      const per = (suffix) => features.filter((f) => keys.has(`drift.${f}.${suffix}`)).map((f) => [f, `drift.${f}.${suffix}`]);
      const [file, psi, ks] = await Promise.all([windowFile(id), histories(id, per('psi')), histories(id, per('ks_pvalue'))]);
      const series = (m) => [...m].map(([label, points]) => ({ label, start, points })).filter((x) => x.points.length);
      clear(driftBox,
        h('div', { class: 'charts' },
          psi.size ? historyChart('PSI per feature, by window', series(psi), 'step') : null,
          ks.size ? historyChart('KS p-value per feature, by window', series(ks), 'step') : null,
          await chart('rows per window', [['rows', 'drift.rows']], 'step')),
        file ? windowHistograms(file, psi, ks) : null);
    }
    box.append(runLink);
  } catch (err) {
    box.append(errorBox(err));
  }
}

// histories fetches the metric histories of [[label, key], ...] into a
// Map from label to points.
async function histories(runId, list) {
  return new Map(await Promise.all(list.map(async ([label, k]) => [label, await metricHistory(runId, k)])));
}

// windowFile reads the last drift window berth serve uploaded, or null
// when there is none (an older berth serve wrote none).
async function windowFile(runId) {
  const dir = windowArtifact.slice(0, windowArtifact.lastIndexOf('/'));
  const files = (await get('artifacts/list', { run_id: runId, path: dir })).files || [];
  if (!files.some((f) => f.path === windowArtifact)) return null;
  return (await runArtifact(runId, windowArtifact)).json();
}

// metricName is how berth serve writes a feature's name into metric keys
// (drift/writeback's metricName): characters MLflow refuses become '_'.
const metricName = (f) => [...f.replace(/[^\p{L}\p{N}_\-. :]/gu, '_')].slice(0, 200).join('');

// windowHistograms draws, per feature and output column of the last
// window, the reference's share of rows per bin against the window's,
// and the column's PSI and KS p-value by window (psi and ks map metric
// names to histories) against the thresholds the window was judged by.
function windowHistograms(file, psi, ks) {
  const feats = file.features || [];
  const th = file.thresholds || {};
  const stat = (label, v) => (v === null || v === undefined ? null : `${label} ${fmtNum(Number(Number(v).toPrecision(3)))}`);
  const points = (m, f) => (m.get(metricName(f)) || []).map((p) => ({ x: Number(p.step), y: Number(p.value) }));
  const lines = (...l) => l.filter((x) => Number.isFinite(x.y) && x.y > 0);
  return h('section', { class: 'window' },
    h('h4', null, `Window ${file.window}: reference against current`),
    h('p', { class: 'muted' }, `${fmtNum(file.rows)} rows from ${fmtTime(Date.parse(file.start))} to ${fmtTime(Date.parse(file.end))}; status `, statusChip(file.status), '.'),
    h('div', { class: 'histograms' }, feats.map((f) => h('figure', { class: 'histogram-card' },
      h('figcaption', null, h('strong', null, f.feature), f.output ? h('span', { class: 'muted' }, ' (output)') : null, ' ', statusChip(f.status),
        h('div', { class: 'muted' }, [stat('PSI', f.psi), stat('KS p', f.ks_pvalue), stat('JS', f.js_distance), stat('χ² p', f.chi2_pvalue)].filter(Boolean).join(' · '))),
      histogram(f.feature, f.labels || [], f.reference || [], f.current || []),
      psi.has(metricName(f.feature)) ? sparkline('PSI by window', points(psi, f.feature),
        lines({ y: th.psi_warning, label: 'warning at ' + th.psi_warning }, { y: th.psi_drift, label: 'drift at ' + th.psi_drift, cls: 'drift' })) : null,
      ks.has(metricName(f.feature)) ? sparkline('KS p-value by window', points(ks, f.feature),
        lines({ y: th.ks_pvalue, label: 'drift below ' + th.ks_pvalue, cls: 'drift' })) : null))));
}
