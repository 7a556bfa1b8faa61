// MLflow 3's logged models: an experiment's list (its Models tab), those a
// run produced or used, and one model's page (metrics, params, tags,
// artifacts, the versions it was registered as).
import { h, clear, errorBox, table, kv, fmtTime, fmtNum, link, modelHref, fileTree, expTabs, pageMore, filterForm } from './dom.js';
import { get, post, loggedModel, proxiedList, proxiedArtifact } from './api.js';
import { showPreview } from './run.js';

export const loggedModelHref = (id) => '#/logged-models/' + encodeURIComponent(id);

const statusWord = (s) => String(s || '').replace(/^LOGGED_MODEL_/, '');
const statusClass = (s) => 'status s-' + ({ READY: 'finished', PENDING: 'running', UPLOAD_FAILED: 'failed' }[statusWord(s)] || 'other');

// registeredAs reads the mlflow.modelVersions tag: [{name, version}].
function registeredAs(info) {
  const t = (info.tags || []).find((x) => x.key === 'mlflow.modelVersions');
  if (!t) return [];
  try {
    const v = JSON.parse(t.value);
    return Array.isArray(v) ? v.filter((x) => x && x.name) : [];
  } catch { return []; }
}

// runModels fills box with the logged models a run produced (outputs) and
// used (inputs).
export async function runModels(box, run) {
  const refs = [
    ...((run.outputs && run.outputs.model_outputs) || []).map((m) => ({ id: m.model_id, step: m.step, dir: 'output' })),
    ...((run.inputs && run.inputs.model_inputs) || []).map((m) => ({ id: m.model_id, dir: 'input' })),
  ];
  if (!refs.length) {
    clear(box, h('p', { class: 'muted' }, 'No logged models.'));
    return;
  }
  const rows = await Promise.all(refs.map(async (r) => {
    try {
      const m = (await loggedModel(r.id)).model;
      return h('tr', null, h('td', null, link(loggedModelHref(r.id), m.info.name || r.id)), h('td', null, h('code', null, r.id)),
        h('td', null, h('span', { class: statusClass(m.info.status) }, statusWord(m.info.status))),
        h('td', null, r.dir), h('td', { class: 'num' }, r.step === undefined ? '' : String(r.step)),
        h('td', null, h('span', { class: 'chips' }, registeredAs(m.info).map((v) => h('a', { class: 'chip', href: modelHref(v.name, v.version) }, `${v.name} v${v.version}`)))));
    } catch (err) {
      return h('tr', null, h('td', null, h('code', null, r.id)), h('td', { colspan: 5 }, errorBox(err)));
    }
  }));
  clear(box, table(['Model', 'ID', 'Status', 'Run\'s', 'Step', 'Registered as'], rows, { class: 'logged-models' }));
}

export async function loggedModelPage(el, id, query) {
  const m = (await loggedModel(id)).model;
  const info = m.info;
  let exp = null;
  try { exp = (await get('experiments/get', { experiment_id: info.experiment_id })).experiment; } catch { /* shown by id */ }
  const params = [...((m.data && m.data.params) || [])].sort((a, b) => a.key.localeCompare(b.key));
  const metrics = [...((m.data && m.data.metrics) || [])].sort((a, b) => a.key.localeCompare(b.key) || Number(a.step) - Number(b.step));
  const tags = (info.tags || []).filter((t) => t.key !== 'mlflow.modelVersions');
  const versions = registeredAs(info);
  const artifacts = h('div', { class: 'artifacts' });
  const preview = h('div', { class: 'preview' }, h('p', { class: 'muted' }, 'Select a file to preview it.'));
  const root = String(info.artifact_uri || '').replace(/^mlflow-artifacts:\/*/, '');
  clear(el,
    h('p', { class: 'crumbs' }, link('#/', 'Experiments'), ' / ',
      link('#/experiments/' + encodeURIComponent(info.experiment_id), exp ? exp.name : info.experiment_id), ' / ',
      info.source_run_id ? [link('#/runs/' + encodeURIComponent(info.source_run_id), 'run ' + info.source_run_id.slice(0, 8)), ' / '] : null),
    h('h1', null, info.name || info.model_id),
    kv([
      ['Model ID', h('code', null, info.model_id)],
      ['Status', h('span', { class: statusClass(info.status) }, statusWord(info.status))],
      ['Created', fmtTime(info.creation_timestamp_ms)],
      ['Model type', info.model_type || ''],
      ['Source run', info.source_run_id ? link('#/runs/' + encodeURIComponent(info.source_run_id), info.source_run_id) : ''],
      ['Artifact URI', h('code', null, info.artifact_uri || '')],
      ['Registered as', versions.length ? h('span', { class: 'chips registered' }, versions.map((v) =>
        h('a', { class: 'chip', href: modelHref(v.name, v.version) }, `${v.name} v${v.version}`))) : h('span', { class: 'muted' }, 'No model version.')],
    ]),
    h('section', null, h('h2', null, 'Metrics'), metrics.length
      ? table(['Key', 'Value', 'Step', 'Dataset', 'Run', 'Logged'], metrics.map((x) => h('tr', null, h('td', null, h('code', null, x.key)),
        h('td', { class: 'num' }, fmtNum(x.value)), h('td', { class: 'num' }, String(x.step ?? '')),
        h('td', null, x.dataset_name || ''), h('td', null, x.run_id ? link('#/runs/' + encodeURIComponent(x.run_id), x.run_id.slice(0, 8)) : ''),
        h('td', null, fmtTime(x.timestamp)))), { class: 'model-metrics' })
      : h('p', { class: 'muted' }, 'No metrics.')),
    h('section', null, h('h2', null, 'Parameters'), kv(params.map((p) => [p.key, p.value]), 'No parameters.')),
    h('section', null, h('h2', null, 'Tags'), kv(tags.map((t) => [t.key, t.value]), 'No tags.')),
    h('section', null, h('h2', null, 'Artifacts'), h('div', { class: 'split' }, artifacts, preview)));
  const open = (f) => {
    const q = new URLSearchParams(query);
    q.set('artifact', f.path);
    history.replaceState(null, '', loggedModelHref(id) + '?' + q);
    showPreview(preview, null, f, () => proxiedArtifact(root + '/' + f.path));
  };
  if (!root || root === info.artifact_uri) clear(artifacts, h('p', { class: 'muted' }, 'The artifacts are not behind this server\'s artifact proxy.'));
  else proxiedTree(artifacts, root, '', open).catch((err) => clear(artifacts, errorBox(err)));
  if (query.get('artifact') && root) open({ path: query.get('artifact') });
}

// proxiedTree lists root/dir of the artifact proxy into box; paths given to
// onFile are relative to root.
function proxiedTree(box, root, dir, onFile) {
  return fileTree(box, async (d) => ((await proxiedList(d ? root + '/' + d : root)).files || [])
    .map((f) => ({ ...f, path: (d ? d + '/' : '') + f.path.split('/').pop() })), dir, onFile);
}

const MODELS_PAGE = 50;

// latestMetrics is each metric key's latest value (highest step, then
// newest), in key order.
function latestModelMetrics(metrics) {
  const by = new Map();
  for (const m of metrics || []) {
    const cur = by.get(m.key);
    if (!cur || Number(m.step || 0) > Number(cur.step || 0) ||
      (Number(m.step || 0) === Number(cur.step || 0) && Number(m.timestamp || 0) >= Number(cur.timestamp || 0))) by.set(m.key, m);
  }
  return [...by.values()].sort((a, b) => a.key.localeCompare(b.key));
}

// experimentModelsPage is an experiment's Models tab, as MLflow 3's: its
// logged models, newest first, with status, creation time, source run,
// latest metrics and the versions each was registered as; MLflow's
// logged-model filter; Load more.
export async function experimentModelsPage(el, expId, query) {
  const exp = (await get('experiments/get', { experiment_id: expId })).experiment;
  const filter = query.get('filter') || '';
  const models = [];
  let nextToken = '';
  const go = (q) => { location.hash = '#/experiments/' + encodeURIComponent(expId) + '/models' + (q.toString() ? '?' + q : ''); };
  const form = filterForm(query, filter, go, 'Filter logged models', "metrics.accuracy > 0.9 and params.solver = 'lbfgs'");
  const count = h('span', { class: 'muted' });
  const results = h('div', { class: 'results' });
  const more = h('div', { class: 'more' });
  const render = () => {
    if (!models.length) {
      clear(results, h('p', { class: 'muted' }, filter ? 'No logged models match the filter.'
        : 'No logged models in this experiment yet. mlflow.<flavor>.log_model(...) with MLflow 3 logs one.'));
      return;
    }
    clear(results, table(['Model', 'Status', 'Created', 'Source run', 'Metrics', 'Registered as'], models.map((m) => {
      const info = m.info || {};
      return h('tr', null,
        h('td', null, link(loggedModelHref(info.model_id), info.name || info.model_id), h('div', null, h('code', { class: 'muted small' }, info.model_id))),
        h('td', null, h('span', { class: statusClass(info.status) }, statusWord(info.status))),
        h('td', { class: 'nowrap' }, fmtTime(info.creation_timestamp_ms)),
        h('td', null, info.source_run_id ? link('#/runs/' + encodeURIComponent(info.source_run_id), h('code', null, info.source_run_id.slice(0, 8))) : ''),
        h('td', null, h('span', { class: 'chips' }, latestModelMetrics(m.data && m.data.metrics).map((x) => h('span', { class: 'chip' }, x.key + ' ' + fmtNum(x.value))))),
        h('td', null, h('span', { class: 'chips' }, registeredAs(info).map((v) => h('a', { class: 'chip', href: modelHref(v.name, v.version) }, `${v.name} v${v.version}`)))));
    }), { class: 'experiment-models' }));
  };
  const load = async () => {
    const r = await post('logged-models/search', { experiment_ids: [expId], filter: filter || undefined, max_results: MODELS_PAGE,
      order_by: [{ field_name: 'creation_timestamp', ascending: false }], page_token: nextToken || undefined });
    models.push(...(r.models || []));
    nextToken = r.next_page_token || '';
    render();
    pageMore(count, more, models.length, 'logged model', nextToken, load);
  };
  clear(el,
    h('p', { class: 'crumbs' }, link('#/', 'Experiments'), ' / '),
    h('h1', null, exp.name),
    h('p', { class: 'muted' }, 'ID ', h('code', null, exp.experiment_id)),
    expTabs(expId, 'models'),
    form,
    h('p', { class: 'muted hint' }, 'MLflow\'s logged-model filter, e.g. ', h('code', null, 'metrics.accuracy > 0.9'), ', ',
      h('code', null, "params.solver = 'lbfgs'"), ', ', h('code', null, "tags.team = 'vision'"), ', ', h('code', null, "name LIKE 'clf%'"), '. Newest first.'),
    h('div', { class: 'row toolbar' }, count),
    results, more);
  try {
    await load();
  } catch (err) {
    clear(results, errorBox(err));
  }
}
