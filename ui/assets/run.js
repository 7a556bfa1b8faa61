// A run: its params, metrics with history charts, tags and artifacts.
import { h, clear, errorBox, kv, table, fmtTime, fmtDuration, fmtNum, fmtBytes, link, modelHref, runName, driftWords, fileTree } from './dom.js';
import { get, metricHistory, runArtifact, quote } from './api.js';
import { historyChart } from './charts.js';
import { runModels } from './loggedmodels.js';

export function axisToggle(axis, onChange) {
  const sel = h('select', { 'aria-label': 'X axis', onchange: (e) => onChange(e.target.value) },
    [['step', 'Step'], ['relative', 'Relative time'], ['wall', 'Wall time']].map(([v, t]) => h('option', { value: v, selected: v === axis }, t)));
  return h('label', { class: 'row' }, 'X axis ', sel);
}

export async function runPage(el, runId, query, stale) {
  const run = (await get('runs/get', { run_id: runId })).run;
  const info = run.info;
  let exp = null;
  try { exp = (await get('experiments/get', { experiment_id: info.experiment_id })).experiment; } catch { /* shown by id */ }
  const metrics = [...(run.data.metrics || [])].sort((a, b) => a.key.localeCompare(b.key));
  const tags = [...(run.data.tags || [])].sort((a, b) => a.key.localeCompare(b.key));
  const params = [...(run.data.params || [])].sort((a, b) => a.key.localeCompare(b.key));

  const charts = h('div', { class: 'charts' });
  let axis = query.get('axis') || 'step';
  const histories = {};
  const drawCharts = async () => {
    clear(charts, h('p', { class: 'muted' }, 'Loading metric histories…'));
    try {
      for (const m of metrics) if (!histories[m.key]) histories[m.key] = await metricHistory(runId, m.key);
    } catch (err) {
      clear(charts, errorBox(err));
      return;
    }
    clear(charts, metrics.filter((m) => histories[m.key].length > 1).map((m) =>
      historyChart(m.key, [{ label: runName(run), start: info.start_time, points: histories[m.key] }], axis)));
    if (!charts.childElementCount) charts.append(h('p', { class: 'muted' }, 'No metric has more than one value.'));
  };

  const registered = h('span', { class: 'chips registered' }, h('span', { class: 'muted' }, '…'));
  const loggedModels = h('div', { class: 'run-models' }, h('p', { class: 'muted' }, 'Loading…'));
  const artifacts = h('div', { class: 'artifacts' });
  const preview = h('div', { class: 'preview' }, h('p', { class: 'muted' }, 'Select a file to preview it.'));

  clear(el,
    h('p', { class: 'crumbs' }, link('#/', 'Experiments'), ' / ',
      link('#/experiments/' + encodeURIComponent(info.experiment_id), exp ? exp.name : info.experiment_id), ' / '),
    h('h1', null, runName(run)),
    kv([
      ['Run ID', h('code', null, info.run_id)],
      ['Status', h('span', { class: 'status s-' + String(info.status).toLowerCase() }, info.status)],
      ['Started', fmtTime(info.start_time)],
      ['Duration', fmtDuration(info.start_time, info.end_time)],
      ['User', info.user_id || ''],
      ['Artifact URI', h('code', null, info.artifact_uri)],
      ['Registered as', registered],
    ]),
    h('section', null, h('h2', null, 'Logged models'), loggedModels),
    h('section', null, h('h2', null, 'Parameters'), kv(params.map((p) => [p.key, p.value]), 'No parameters.')),
    h('section', null, h('h2', null, 'Metrics'),
      metrics.length ? table(['Key', 'Latest value', 'Step', 'Logged'], metrics.map((m) => h('tr', null, h('td', null, h('code', null, m.key)),
        h('td', { class: 'num' }, fmtNum(m.value)), h('td', { class: 'num' }, String(m.step)), h('td', null, fmtTime(m.timestamp))))) : h('p', { class: 'muted' }, 'No metrics.'),
      metrics.length ? axisToggle(axis, (v) => { axis = v; drawCharts(); }) : null,
      charts),
    h('section', null, h('h2', null, 'Tags'), kv(tags.map((t) => [t.key, t.value]), 'No tags.')),
    h('section', null, h('h2', null, 'Artifacts'), h('div', { class: 'split' }, artifacts, preview)));

  if (metrics.length) drawCharts();
  registeredVersions(registered, runId);
  runModels(loggedModels, run).catch((err) => clear(loggedModels, errorBox(err)));
  // The file previewed is kept in the address (?artifact=PATH), so it can be linked to.
  const open = (f) => {
    const q = new URLSearchParams(query);
    q.set('artifact', f.path);
    history.replaceState(null, '', '#/runs/' + encodeURIComponent(runId) + '?' + q);
    showPreview(preview, runId, f);
  };
  artifactTree(artifacts, runId, '', open).catch((err) => clear(artifacts, errorBox(err)));
  if (query.get('artifact')) showPreview(preview, runId, { path: query.get('artifact') });
}

// registeredVersions lists the model versions registered from a run, with
// their aliases and drift status.
async function registeredVersions(box, runId) {
  try {
    const r = await get('model-versions/search', { filter: 'run_id = ' + quote(runId), max_results: 1000 });
    const vs = (r.model_versions || []).sort((a, b) => a.name.localeCompare(b.name) || Number(a.version) - Number(b.version));
    clear(box, vs.length ? vs.map((v) => {
      const drift = (v.tags || []).find((t) => t.key === 'berth.drift.status');
      return h('a', { class: 'chip', href: modelHref(v.name, v.version) }, `${v.name} v${v.version}`,
        (v.aliases || []).map((a) => ' @' + a), drift ? ' · ' + driftWords(drift.value) : '');
    }) : h('span', { class: 'muted' }, 'No model version.'));
  } catch (err) {
    clear(box, h('span', { class: 'muted' }, 'Unknown: ' + err.message));
  }
}

// artifactTree lists the run's dir into box; directories open on click.
function artifactTree(box, runId, dir, onFile) {
  return fileTree(box, async (d) => (await get('artifacts/list', { run_id: runId, path: d })).files || [], dir, onFile);
}

const imageTypes = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.svg': 'image/svg+xml', '.webp': 'image/webp' };
const textExts = new Set(['', '.txt', '.json', '.yaml', '.yml', '.md', '.csv', '.log', '.py', '.toml', '.cfg', '.ini', '.html', '.xml', '.tsv']);
const maxPreview = 2 << 20;

const ext = (p) => {
  const base = p.split('/').pop();
  const i = base.lastIndexOf('.');
  return i > 0 ? base.slice(i).toLowerCase() : '';
};

// showPreview shows one artifact: images, JSON pretty-printed, text (the
// MLmodel file included), or a download link for anything else.
export async function showPreview(box, runId, f, fetcher) {
  const fetchIt = fetcher || (() => runArtifact(runId, f.path));
  const e = ext(f.path);
  const title = h('h3', null, f.path, ' ', h('span', { class: 'muted' }, fmtBytes(f.file_size)));
  clear(box, title, h('p', { class: 'muted' }, 'Loading…'));
  const download = async () => {
    const blob = await (await fetchIt()).blob();
    const a = h('a', { href: URL.createObjectURL(blob), download: f.path.split('/').pop() });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  };
  const dl = h('button', { type: 'button', onclick: () => download().catch((err) => box.append(errorBox(err))) }, 'Download');
  try {
    if (imageTypes[e]) {
      const blob = await (await fetchIt()).blob();
      const url = URL.createObjectURL(new Blob([blob], { type: imageTypes[e] }));
      clear(box, title, dl, h('img', { src: url, alt: f.path, class: 'artifact-img' }));
      return;
    }
    if (!textExts.has(e) || (f.file_size || 0) > maxPreview) {
      clear(box, title, h('p', { class: 'muted' }, (f.file_size || 0) > maxPreview ? 'Too large to preview.' : 'No preview for this kind of file.'), dl);
      return;
    }
    let text = await (await fetchIt()).text();
    if (e === '.json') {
      try { text = JSON.stringify(JSON.parse(text), null, 2); } catch { /* shown as it is */ }
    }
    clear(box, title, dl, h('pre', { class: 'code' }, text));
  } catch (err) {
    clear(box, title, errorBox(err));
  }
}
