// Comparing runs: parameter diff, metrics side by side, overlaid metric
// histories, and a scatter of one parameter against one metric.
import { h, clear, errorBox, table, fmtNum, link, runName, latestMetrics, toMap } from './dom.js';
import { get, post, metricHistory, quote } from './api.js';
import { historyChart, scatter, parallel, color } from './charts.js';
import { axisToggle } from './run.js';

// Overlaid histories get unreadable, and costly to fetch, past this many runs.
const maxChartRuns = 20;

// fetchRuns gets the runs in the order of ids: with runs/search by run_id,
// 100 at a time, in the first run's experiment, and runs/get for any other.
async function fetchRuns(ids) {
  const first = (await get('runs/get', { run_id: ids[0] })).run;
  const found = new Map([[first.info.run_id, first]]);
  for (let i = 1; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    const r = await post('runs/search', { experiment_ids: [first.info.experiment_id], max_results: chunk.length,
      filter: `attributes.run_id IN (${chunk.map(quote).join(', ')})` });
    for (const run of r.runs || []) found.set(run.info.run_id, run);
  }
  return Promise.all(ids.map(async (id) => found.get(id) || (await get('runs/get', { run_id: id })).run));
}

export async function comparePage(el, ids, query, stale) {
  if (!ids.length) {
    clear(el, h('h1', null, 'Compare runs'), h('p', { class: 'muted' }, 'Select runs in an experiment\'s runs table, then press Compare.'));
    return;
  }
  const runs = await fetchRuns(ids);
  const params = runs.map((r) => toMap(r.data.params));
  const latest = runs.map(latestMetrics);
  const paramKeys = [...new Set(params.flatMap(Object.keys))].sort();
  const metricKeys = [...new Set(latest.flatMap(Object.keys))].sort();
  // head makes a header row naming the runs, in their chart colours.
  const head = () => ['', ...runs.map((r, i) => h('th', { scope: 'col' },
    h('span', { class: 'swatch', style: `background:${color(i)}` }), link('#/runs/' + encodeURIComponent(r.info.run_id), runName(r))))];

  let onlyDiff = query.get('diff') === '1';
  const paramBox = h('div');
  const drawParams = () => {
    const rows = paramKeys.map((k) => {
      const vals = params.map((p) => p[k]);
      const differs = new Set(vals.map(String)).size > 1;
      if (onlyDiff && !differs) return null;
      return h('tr', { class: differs ? 'differs' : null }, h('th', { scope: 'row' }, h('code', null, k)),
        vals.map((v) => h('td', null, v === undefined ? h('span', { class: 'muted' }, '—') : v)));
    }).filter(Boolean);
    clear(paramBox, paramKeys.length ? table(head(), rows, { class: 'compare' }) : h('p', { class: 'muted' }, 'No parameters.'));
  };
  drawParams();

  const metricRows = metricKeys.map((k) => {
    const vals = latest.map((m) => (m[k] ? Number(m[k].value) : undefined));
    const finite = vals.filter(Number.isFinite);
    const [lo, hi] = finite.length > 1 ? [Math.min(...finite), Math.max(...finite)] : [NaN, NaN];
    return h('tr', null, h('th', { scope: 'row' }, h('code', null, k)),
      vals.map((v) => h('td', { class: 'num', title: v === hi ? 'highest' : v === lo ? 'lowest' : null },
        v === undefined ? h('span', { class: 'muted' }, '—') : fmtNum(v), v === hi ? ' ▲' : v === lo ? ' ▼' : '')));
  });

  // Scatter: one parameter against one metric, a point per run.
  const xSel = h('select', { 'aria-label': 'Parameter' }, paramKeys.map((k) => h('option', { value: k }, k)));
  const ySel = h('select', { 'aria-label': 'Metric' }, metricKeys.map((k) => h('option', { value: k }, k)));
  const scatterBox = h('div');
  const drawScatter = () => {
    const px = xSel.value, my = ySel.value;
    if (!px || !my) { clear(scatterBox, h('p', { class: 'muted' }, 'Needs a parameter and a metric.')); return; }
    const raw = params.map((p) => p[px]);
    const numeric = raw.every((v) => v === undefined || (v.trim() !== '' && Number.isFinite(Number(v))));
    const cats = numeric ? null : [...new Set(raw.filter((v) => v !== undefined))].sort();
    const points = runs.map((r, i) => ({
      x: raw[i] === undefined ? NaN : numeric ? Number(raw[i]) : cats.indexOf(raw[i]),
      y: latest[i][my] ? Number(latest[i][my].value) : NaN,
      label: runName(r),
      href: '#/runs/' + encodeURIComponent(r.info.run_id),
    }));
    clear(scatterBox, scatter(px, my, points, cats));
  };
  // Parallel coordinates: every parameter that varies, then the metric.
  const parallelBox = h('div');
  const drawParallel = () => {
    const my = ySel.value;
    const keys = paramKeys.filter((k) => new Set(params.map((p) => String(p[k]))).size > 1).slice(0, 8);
    const dims = keys.map((k) => {
      const raw = params.map((p) => p[k]).filter((v) => v !== undefined);
      const numeric = raw.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
      return { label: k, cats: numeric ? null : [...new Set(raw)].sort() };
    });
    dims.push({ label: my, cats: null });
    const lines = runs.map((r, i) => ({
      label: runName(r), href: '#/runs/' + encodeURIComponent(r.info.run_id),
      values: [...keys.map((k, j) => (params[i][k] === undefined ? undefined : dims[j].cats ? params[i][k] : Number(params[i][k]))),
        latest[i][my] ? Number(latest[i][my].value) : NaN],
    }));
    clear(parallelBox, my && keys.length ? parallel(dims, lines) : h('p', { class: 'muted' }, 'Needs a metric and a parameter that varies across the runs.'));
  };
  xSel.addEventListener('change', drawScatter);
  ySel.addEventListener('change', () => { drawScatter(); drawParallel(); });
  // Prefer a parameter that varies across the runs.
  const varying = paramKeys.find((k) => new Set(params.map((p) => String(p[k]))).size > 1);
  if (varying) xSel.value = varying;

  let axis = query.get('axis') || 'step';
  const charted = runs.slice(0, maxChartRuns);
  const charts = h('div', { class: 'charts' });
  const histories = {};
  const drawCharts = async () => {
    clear(charts, h('p', { class: 'muted' }, 'Loading metric histories…'));
    try {
      await Promise.all(metricKeys.map(async (k) => {
        histories[k] = histories[k] || await Promise.all(charted.map((r, i) => (latest[i][k] ? metricHistory(r.info.run_id, k) : [])));
      }));
    } catch (err) {
      clear(charts, errorBox(err));
      return;
    }
    if (stale()) return;
    // A metric logged once per run is a value, not a curve: show the
    // values rather than a chart of one dot per run.
    clear(charts, metricKeys.map((k) => (histories[k].every((pts) => pts.length <= 1)
      ? h('div', { class: 'chart single-value' }, table(['Run', k],
        charted.map((r, i) => [runName(r), histories[k][i].length ? fmtNum(Number(histories[k][i][0].value)) : '–'])))
      : historyChart(k, charted.map((r, i) => ({ label: runName(r), start: r.info.start_time, points: histories[k][i] })), axis))));
  };

  clear(el,
    h('h1', null, `Compare ${runs.length} run${runs.length === 1 ? '' : 's'}`),
    h('section', null, h('h2', null, 'Parameters'),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', checked: onlyDiff, onchange: (e) => { onlyDiff = e.target.checked; drawParams(); } }),
        ' Only parameters that differ'),
      paramBox),
    h('section', null, h('h2', null, 'Metrics (latest values)'),
      metricKeys.length ? table(head(), metricRows, { class: 'compare' }) : h('p', { class: 'muted' }, 'No metrics.')),
    h('section', null, h('h2', null, 'Parameter against metric'),
      h('div', { class: 'row' }, h('label', null, 'x: ', xSel), h('label', null, 'y: ', ySel)), scatterBox,
      h('h3', null, 'All varying parameters against the metric'),
      h('p', { class: 'muted' }, 'A line per run; darker lines score higher on the metric.'), parallelBox),
    h('section', null, h('h2', null, 'Metric histories'),
      runs.length > maxChartRuns ? h('p', { class: 'muted' }, `The first ${maxChartRuns} of the ${runs.length} runs.`) : null,
      metricKeys.length ? axisToggle(axis, (v) => { axis = v; drawCharts(); }) : null, charts));
  drawScatter();
  drawParallel();
  if (metricKeys.length) drawCharts();
}
