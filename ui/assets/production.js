// Production: what berth serve wrote back about the versions it serves —
// request rate, latency and errors per report interval, and drift per
// window (status, PSI and KS over time, reference against current
// histograms) — read from the monitoring runs of the berth-monitoring
// experiment and the versions' tags.
import { h, clear, errorBox, table, kv, fmtNum, fmtTime, link, modelHref, toMap, latestMetrics, driftWords } from './dom.js';
import { get, post, metricHistory, runArtifact, quote, ident, pages } from './api.js';
import { historyChart, drawnChart } from './charts.js';

const experiment = 'berth-monitoring';
const windowArtifact = 'drift/window.json';
// The run berth serve's replicas log a version's merged drift periods to
// (drift/writeback's MergedSourceName).
const mergedSource = 'berth serve (merged drift)';
const isMerged = (run) => toMap(run.data.tags)['mlflow.source.name'] === mergedSource;

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
const driftChip = (s) => h('span', { class: 'drift-' + s, title: 'drift status: ' + s }, driftWords(s));
// sig writes v to n significant digits, '' when it is undefined.
const sig = (v, n) => (v === undefined ? '' : fmtNum(Number(Number(v).toPrecision(n))));
const ms = (v) => (v === undefined ? '' : sig(v, 3) + ' ms');
const pct = (v) => (v === undefined ? '' : sig(100 * v, 3) + ' %');
const metric = (latest, key) => (latest[key] ? Number(latest[key].value) : undefined);

// productionSummary is a version's production state in a few words, from
// its tags: its drift status and when berth serve last reported it.
export function productionSummary(tags) {
  const status = tags['berth.drift.status'], last = tags['berth.serving.last_report'];
  if (!status && !last) return '';
  return h('span', { class: 'production-summary' }, status ? driftChip(status) : null,
    last ? h('span', { class: 'muted', title: last }, (status ? ' · ' : '') + 'served ' + ago(last)) : null);
}

// A monitoring run's instance (host:port of the berth serve that writes
// it; '' for runs written without one), and the time and interval of its
// last serving report.
const instanceOf = (run) => toMap(run.data.tags)['berth.instance'] || '';
const lastReportOf = (run) => Number((latestMetrics(run)['serving.requests'] || {}).timestamp || 0);
const intervalOf = (run) => 1000 * (metric(latestMetrics(run), 'serving.interval_s') || 60);

// liveRuns keeps the runs of servers that did not stop and whose last
// report is no older than three of their intervals before the newest
// report among them: the replicas that serve the version now (or did,
// together, when it was last served).
function liveRuns(runs) {
  const newest = Math.max(0, ...runs.map(lastReportOf));
  return runs.filter((r) => lastReportOf(r) && !stopped(r) && lastReportOf(r) >= newest - 3 * intervalOf(r) - 5000);
}

// stopped says whether the run's server shut down (it finishes its runs).
const stopped = (run) => run.info.status === 'FINISHED';

// current is a run's latest value of key when it is from the run's last
// serving report: an idle report logs no latency, and the one before it
// may be hours old.
function current(run, key) {
  const m = latestMetrics(run);
  return m[key] && Number(m[key].timestamp) === lastReportOf(run) ? Number(m[key].value) : undefined;
}

// summary sums the latest serving figures of a version's live replicas.
function summary(runs) {
  const live = liveRuns(runs);
  const sum = (k) => live.reduce((a, r) => a + (current(r, k) || 0), 0);
  const p95 = live.map((r) => current(r, 'serving.latency_p95_ms')).filter((v) => v !== undefined);
  return {
    live,
    rate: live.length ? sum('serving.request_rate') : undefined,
    p95: p95.length ? Math.max(...p95) : undefined,
    errorRate: sum('serving.requests') > 0 ? sum('serving.server_errors') / sum('serving.requests') : undefined,
  };
}

// productionPage lists every model version berth serve has reported on,
// newest report first: its drift status and, summed over the replicas
// that serve it now, its request rate, worst p95 latency and error rate.
export async function productionPage(el, stale) {
  const expID = await monitoringExperiment();
  const runs = [];
  if (expID) {
    runs.push(...await pages((token) => post('runs/search', { experiment_ids: [expID], max_results: 1000, page_token: token,
      filter: `tags.${ident('mlflow.source.name')} = 'berth serve'` }), 'runs', stale));
  }
  const groups = new Map();
  for (const run of runs) {
    const tags = toMap(run.data.tags);
    const name = tags['berth.model'], version = tags['berth.model_version'];
    const k = JSON.stringify([name, version]);
    if (!groups.has(k)) groups.set(k, { name, version, runs: [] });
    groups.get(k).runs.push(run);
  }
  const rows = await Promise.all([...groups.values()].map(async (g) => {
    let mv = null;
    try { mv = (await get('model-versions/get', { name: g.name, version: g.version })).model_version; } catch { /* deleted since */ }
    return { ...g, mv, vtags: toMap(mv && mv.tags), sum: summary(g.runs) };
  }));
  const last = (r) => Math.max(Date.parse(r.vtags['berth.serving.last_report'] || '') || 0, Date.parse(r.vtags['berth.drift.last_window'] || '') || 0);
  rows.sort((a, b) => last(b) - last(a));
  clear(el,
    h('h1', null, 'Production'),
    h('p', { class: 'muted' }, 'Model versions that berth serve reports on: each serving process logs request rate, latency and errors, and each closed drift window, to a monitoring run of its own in the ',
      expID ? link('#/experiments/' + encodeURIComponent(expID), experiment) : experiment, ' experiment, and tags the version. Figures are summed over the replicas reporting now.'),
    rows.length
      ? table(['Model version', 'Aliases', 'Drift', 'Worst feature', 'Replicas', 'Requests/s', 'p95 latency', 'Errors', 'Last report'], rows.map((r) => [
        link(modelHref(r.name, r.version), `${r.name} v${r.version}`),
        h('span', { class: 'chips' }, ((r.mv && r.mv.aliases) || []).map((a) => h('span', { class: 'chip' }, '@' + a))),
        h('span', { title: r.vtags['berth.drift.rule'] || '' }, statusChip(r.vtags['berth.drift.status'])),
        r.vtags['berth.drift.worst_feature'] || '',
        h('span', { class: 'num', title: r.sum.live.map(instanceOf).filter(Boolean).join(', ') }, String(r.sum.live.length)),
        h('span', { class: 'num' }, sig(r.sum.rate, 4)),
        ms(r.sum.p95),
        pct(r.sum.errorRate),
        last(r) ? h('span', { title: new Date(last(r)).toISOString() }, ago(last(r))) : '',
      ]), { class: 'list production-list' })
      : h('p', { class: 'muted' }, 'No served model version has reported yet. Serve a registered model with ',
        h('code', null, 'berth serve models:/NAME@ALIAS --registry-uri URL'), '; it reports here every ', h('code', null, '--report-interval'),
        ', and each drift window when the model has a drift reference.'));
}

// monitoringRuns returns the monitoring runs of a model version, one per
// serving process: the 100 that started last.
async function monitoringRuns(name, version) {
  const expID = await monitoringExperiment();
  if (!expID) return [];
  const r = await post('runs/search', {
    experiment_ids: [expID], max_results: 100, order_by: ['attributes.start_time DESC'], // the newest processes
    filter: `tags.${ident('berth.model')} = ${quote(name)} and tags.${ident('berth.model_version')} = ${quote(version)}`,
  });
  return r.runs || [];
}

const byTime = (pts) => [...pts].sort((a, b) => Number(a.timestamp) - Number(b.timestamp));

// total sums replicas' series: at each report time, every replica's
// latest value that is not older than one and a half of its intervals.
export function total(series) {
  const sorted = series.map((x) => ({ every: x.every, pts: byTime(x.points) }));
  const ts = [...new Set(sorted.flatMap((x) => x.pts.map((p) => Number(p.timestamp))))].sort((a, b) => a - b);
  const at = sorted.map(() => -1);
  return ts.map((t) => {
    let sum = 0;
    sorted.forEach((x, i) => {
      while (at[i] + 1 < x.pts.length && Number(x.pts[at[i] + 1].timestamp) <= t) at[i]++;
      const p = x.pts[at[i]];
      if (p && t - Number(p.timestamp) <= 1.5 * x.every) sum += Number(p.value);
    });
    return { step: 0, timestamp: t, value: sum };
  });
}

// servingCharts draws request rate, latency and errors of a version's
// replicas (runs): one line each, and their total where they add up.
async function servingCharts(runs) {
  const hist = (run, k) => (latestMetrics(run)[k] ? metricHistory(run.info.run_id, k) : Promise.resolve([]));
  const load = (k) => Promise.all(runs.map(async (run) => ({ run, label: instanceOf(run) || run.info.run_name, start: run.info.start_time,
    every: intervalOf(run), points: await hist(run, k) })));
  const [rate, p50, p95, p99, e5, e4, secs] = await Promise.all(['serving.request_rate', 'serving.latency_p50_ms', 'serving.latency_p95_ms',
    'serving.latency_p99_ms', 'serving.server_errors', 'serving.client_errors', 'serving.interval_s'].map(load));
  // A count per second of its own report's interval.
  const perSecond = (x, i) => {
    const len = new Map(secs[i].points.map((p) => [Number(p.timestamp), Number(p.value)]));
    return { ...x, points: x.points.filter((p) => len.get(Number(p.timestamp)) > 0)
      .map((p) => ({ ...p, value: Number(p.value) / len.get(Number(p.timestamp)) })) };
  };
  const one = runs.length === 1;
  const some = (list) => list.filter((x) => x.points.length);
  const chart = (title, list) => (some(list).length ? historyChart(title, some(list), 'wall') : null);
  const sumOf = (label, list) => ({ label, start: 0, points: total(some(list)) });
  return h('div', { class: 'charts' },
    chart('requests per second', one ? [{ ...rate[0], label: 'requests/s' }] : [sumOf('total', rate), ...rate]),
    one
      ? chart('latency (ms)', [{ ...p50[0], label: 'p50' }, { ...p95[0], label: 'p95' }, { ...p99[0], label: 'p99' }])
      : chart('latency p95 (ms)', p95),
    chart('errors per second', [sumOf('server (5xx)', e5.map(perSecond)), sumOf('client (4xx)', e4.map(perSecond))]));
}

// productionPanel shows what berth serve wrote back about version v of
// model name: its replicas, serving charts, drift status, statistics over
// time and the last window's histograms.
export async function productionPanel(box, name, v) {
  const tags = toMap(v.tags);
  const status = tags['berth.drift.status'];
  const lastReport = tags['berth.serving.last_report'];
  const serving = h('div', { class: 'serving' });
  const driftBox = h('div', { class: 'drift' });
  clear(box, h('h3', null, 'Production'),
    h('h4', null, 'Serving'),
    lastReport ? serving : h('p', { class: 'muted' }, `No serving report for this version yet (berth serve reports when it serves models:/${name} from this registry).`),
    h('h4', null, 'Drift'),
    status
      ? kv([
        ['Drift status', statusChip(status)],
        ['Rule', tags['berth.drift.rule'] || ''],
        ['Worst feature', tags['berth.drift.worst_feature'] || ''],
        ['Last window', tags['berth.drift.last_window'] || ''],
        ...(tags['berth.drift.replicas'] ? [
          ['Merged from', `${tags['berth.drift.replicas']} replica${tags['berth.drift.replicas'] === '1' ? '' : 's'}`],
          ['Period', tags['berth.drift.period'] || ''],
        ] : []),
      ])
      : h('p', { class: 'muted' }, `No drift window reported for this version yet (berth serve writes them when it serves models:/${name} with a drift reference).`),
    driftBox);
  if (!status && !lastReport) return;
  try {
    const runs = await monitoringRuns(name, v.version);
    if (!runs.length) return;
    if (lastReport) {
      const live = new Set(liveRuns(runs));
      const reporting = runs.filter(lastReportOf).sort((a, b) => lastReportOf(b) - lastReportOf(a));
      clear(serving,
        table(['Replica', 'Last report', 'Requests/s', 'p95 latency', 'Own drift', 'Monitoring run'], reporting.map((run) => {
          const own = toMap(run.data.tags)['berth.drift.status'];
          return h('tr', { class: live.has(run) ? null : 'stale' },
            h('td', null, instanceOf(run) || h('span', { class: 'muted' }, 'unnamed')),
            h('td', { title: new Date(lastReportOf(run)).toISOString() },
              ago(lastReportOf(run)) + (live.has(run) ? '' : stopped(run) ? ' (stopped)' : ' (stopped reporting)')),
            h('td', { class: 'num' }, sig(current(run, 'serving.request_rate'), 4)),
            h('td', { class: 'num' }, ms(current(run, 'serving.latency_p95_ms'))),
            h('td', { class: 'own-drift', title: toMap(run.data.tags)['berth.drift.rule'] || '' }, own ? statusChip(own) : ''),
            h('td', null, link('#/runs/' + encodeURIComponent(run.info.run_id), run.info.run_name || run.info.run_id)));
        }), { class: 'replicas' }),
        await servingCharts(reporting));
    }
    // With merged drift (berth serve --drift-period), the merged run holds
    // the periods the version's status comes from; else each replica
    // judges its own traffic: show the one whose window closed last.
    const windowed = runs.filter((r) => latestMetrics(r)['drift.rows'])
      .sort((a, b) => Number(latestMetrics(b)['drift.rows'].timestamp) - Number(latestMetrics(a)['drift.rows'].timestamp));
    const merged = windowed.find(isMerged);
    const run = merged || windowed[0];
    if (status && run) {
      const id = run.info.run_id, start = run.info.start_time;
      const keys = new Set((run.data.metrics || []).map((m) => m.key));
      const features = [...keys].filter((k) => k.startsWith('drift.') && k.endsWith('.drifted')).map((k) => k.slice(6, -8)).sort();
      const per = (suffix) => features.filter((f) => keys.has(`drift.${f}.${suffix}`)).map((f) => [f, `drift.${f}.${suffix}`]);
      // The KS p-values the rule judges are adjusted by Benjamini–Hochberg
      // over the window's features; older berth serve logged raw ones only.
      const adjusted = per('ks_pvalue_adjusted').length > 0;
      const [file, psi, ks, rows, js, drifted] = await Promise.all([windowFile(id), histories(id, per('psi')),
        histories(id, per(adjusted ? 'ks_pvalue_adjusted' : 'ks_pvalue')), histories(id, [['rows', 'drift.rows']]),
        histories(id, per('js_distance')), histories(id, per('drifted'))]);
      const ksTitle = adjusted ? 'KS p-value (Benjamini–Hochberg adjusted)' : 'KS p-value';
      const series = (m) => [...m].map(([label, points]) => ({ label, start, points })).filter((x) => x.points.length);
      clear(driftBox,
        merged
          ? h('p', { class: 'muted merged-drift' }, `Merged drift: every replica's counts of each period summed and judged once; a point is a period. Each replica's own status is in the replicas table.`)
          : windowed.length > 1 ? h('p', { class: 'muted' }, `Each replica compares its own traffic; these are the windows of ${instanceOf(run)}, the last to close one.`) : null,
        h('div', { class: 'charts' },
          psi.size ? historyChart('PSI per feature, by window', series(psi), 'window') : null,
          ks.size ? historyChart(ksTitle + ' per feature, by window', series(ks), 'window') : null,
          rows.get('rows').length ? historyChart('rows per window', series(rows), 'window') : null),
        file ? windowHistograms(file, psi, js, drifted) : null);
    }
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

// timelineWindows is the most windows a drift timeline shows: the last ones.
const timelineWindows = 200;

// windowHistograms shows, per feature and output column of the last
// window, the reference's share of rows per bin against the window's and
// the column's PSI and JS distance by window against the PSI thresholds
// the window was judged by (psi, js and drifted map metric names to
// histories), as package chart draws them, under the rule's summary.
function windowHistograms(file, psi, js, drifted) {
  const feats = file.features || [];
  const th = file.thresholds || {};
  const stat = (label, v) => (v === null || v === undefined ? null : `${label} ${sig(v, 3)}`);
  const timeline = (f) => {
    const name = metricName(f.feature);
    const byStep = (m) => new Map((m.get(name) || []).map((p) => [Number(p.step), Number(p.value)]));
    const [p, j, d] = [byStep(psi), byStep(js), byStep(drifted)];
    const windows = [...new Set([...p.keys(), ...j.keys()])].sort((a, b) => a - b).slice(-timelineWindows);
    if (!windows.length) return null;
    const at = (m) => windows.map((w) => (m.has(w) && Number.isFinite(m.get(w)) ? m.get(w) : '')).join(',');
    return drawnChart('timeline', { feature: f.feature, window: windows.join(','),
      status: windows.map((w) => (d.has(w) ? (d.get(w) ? 'drift' : 'ok') : '')).join(','),
      psi: p.size ? at(p) : undefined, js: j.size ? at(j) : undefined,
      psi_warning: th.psi_warning, psi_drift: th.psi_drift }, `drift statistics of ${f.feature} per window`);
  };
  return h('section', { class: 'window' },
    h('h4', null, `Window ${file.window}: reference against current`),
    h('p', { class: 'muted' }, `${fmtNum(file.rows)} rows from ${fmtTime(Date.parse(file.start))} to ${fmtTime(Date.parse(file.end))}; status `, statusChip(file.status), '.'),
    file.summary ? h('p', { class: 'drift-rule' }, file.summary + '.') : null,
    h('div', { class: 'histograms' }, feats.map((f) => h('figure', { class: 'histogram-card' },
      h('figcaption', null, h('strong', null, f.feature), f.output ? h('span', { class: 'muted' }, ' (output)') : null, ' ', statusChip(f.status),
        h('div', { class: 'muted' }, [stat('PSI', f.psi), stat('KS p', f.ks_pvalue), stat('adj.', f.ks_pvalue_adjusted), stat('χ² p', f.chi2_pvalue),
          stat('adj.', f.chi2_pvalue_adjusted), stat('W/σ', f.wasserstein), stat('JS', f.js_distance)].filter(Boolean).join(' · '))),
      drawnChart('histogram', { feature: f.feature, label: f.labels || [], reference: (f.reference || []).join(','),
        current: (f.current || []).join(','), current_name: 'window ' + file.window }, `histogram of ${f.feature}`),
      timeline(f)))));
}
