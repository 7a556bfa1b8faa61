// The experiment list and an experiment's runs table.
import { h, clear, errorBox, table, fmtTime, fmtDuration, fmtNum, link, runName, latestMetrics, toMap, expTabs, pageMore, filterForm } from './dom.js';
import { get, post, ident, pages } from './api.js';

// Runs are fetched a page at a time, as MLflow's UI does: a first page of
// 100 renders quickly however large the experiment; "Load more" adds the next.
const RUNS_PAGE = 100;

export async function experimentsPage(el, stale) {
  const exps = await pages((token) => get('experiments/search', { max_results: 1000, page_token: token }), 'experiments', stale);
  clear(el,
    h('h1', null, 'Experiments'),
    exps.length
      ? table(['Name', 'ID', 'Created', 'Last updated'], exps.map((e) => [
        link('#/experiments/' + encodeURIComponent(e.experiment_id), e.name),
        h('code', null, e.experiment_id), fmtTime(e.creation_time), fmtTime(e.last_update_time)]), { class: 'list' })
      : h('p', { class: 'muted' }, 'No experiments yet. Log runs with the MLflow client (MLFLOW_TRACKING_URI=', location.origin, ').'));
}

// Fixed columns of the runs table and the order_by key each sorts by.
const fixed = [
  { id: 'name', label: 'Run', order: 'attributes.run_name' },
  { id: 'status', label: 'Status', order: 'attributes.status' },
  { id: 'start', label: 'Started', order: 'attributes.start_time' },
  { id: 'duration', label: 'Duration' },
];
const kinds = { param: 'params', metric: 'metrics', tag: 'tags' };
const maxDefaultColumns = 8;
const colId = (c) => c.kind + ':' + c.key;
const colsKey = (expId) => 'berth.columns.' + expId;

function loadColumns(expId) {
  try {
    const v = JSON.parse(localStorage.getItem(colsKey(expId)) || 'null');
    return Array.isArray(v) ? v.filter((c) => c && kinds[c.kind] && typeof c.key === 'string') : null;
  } catch { return null; }
}

function saveColumns(expId, cols) {
  try { localStorage.setItem(colsKey(expId), JSON.stringify(cols)); } catch { /* storage disabled */ }
}

function cellValue(run, c) {
  if (c.kind === 'param') return toMap(run.data.params)[c.key] ?? '';
  if (c.kind === 'tag') return toMap(run.data.tags)[c.key] ?? '';
  const m = latestMetrics(run)[c.key];
  return m ? fmtNum(m.value) : '';
}

export async function runsPage(el, expId, query, stale) {
  const exp = (await get('experiments/get', { experiment_id: expId })).experiment;
  const filter = query.get('filter') || '';
  const order = query.get('order') || 'attributes.start_time DESC';
  const runs = [];
  const selected = new Set();
  let nextToken = '';
  let columns = loadColumns(expId);

  const go = (q) => { location.hash = '#/experiments/' + encodeURIComponent(expId) + (q.toString() ? '?' + q : ''); };
  const form = filterForm(query, filter, go, 'Filter runs', "metrics.accuracy > 0.9 and params.lr = '0.01'");
  const compare = h('button', { type: 'button', disabled: true, onclick: () => {
    location.hash = '#/compare?runs=' + [...selected].map(encodeURIComponent).join(',');
  } }, 'Compare');
  const count = h('span', { class: 'muted' });
  const picker = h('details', { class: 'picker' }, h('summary', null, 'Columns'));
  const results = h('div', { class: 'results' });
  const more = h('div', { class: 'more' });

  const updateCompare = () => {
    compare.disabled = selected.size < 1;
    compare.textContent = selected.size ? `Compare (${selected.size})` : 'Compare';
  };

  const allKeys = () => {
    const keys = { param: new Set(), metric: new Set(), tag: new Set() };
    for (const r of runs) {
      (r.data.params || []).forEach((x) => keys.param.add(x.key));
      (r.data.metrics || []).forEach((x) => keys.metric.add(x.key));
      (r.data.tags || []).forEach((x) => keys.tag.add(x.key));
    }
    return keys;
  };

  const defaultColumns = (keys) => {
    const cols = [...keys.param].sort().map((key) => ({ kind: 'param', key }));
    for (const key of [...keys.metric].sort()) cols.push({ kind: 'metric', key });
    return cols.slice(0, maxDefaultColumns);
  };

  const renderPicker = (keys) => {
    const chosen = new Set(columns.map(colId));
    const groups = Object.keys(kinds).map((kind) => {
      const ks = [...keys[kind]].sort();
      if (!ks.length) return null;
      return h('fieldset', null, h('legend', null, kinds[kind]), ks.map((key) => {
        const c = { kind, key };
        return h('label', { class: 'check' }, h('input', { type: 'checkbox', checked: chosen.has(colId(c)), onchange: (e) => {
          columns = e.target.checked ? [...columns, c] : columns.filter((x) => colId(x) !== colId(c));
          saveColumns(expId, columns);
          renderTable();
        } }), ' ', key);
      }));
    });
    const open = picker.open;
    clear(picker, h('summary', null, 'Columns'), h('div', { class: 'picker-body' }, groups,
      h('button', { type: 'button', onclick: () => {
        try { localStorage.removeItem(colsKey(expId)); } catch { /* storage disabled */ }
        columns = defaultColumns(keys);
        renderPicker(keys);
        renderTable();
      } }, 'Reset to default')));
    picker.open = open;
  };

  const header = (label, orderKey, title) => {
    if (!orderKey) return h('th', { scope: 'col' }, label);
    const [cur, dir] = [order.replace(/ (ASC|DESC)$/i, ''), /ASC$/i.test(order) ? 'ASC' : 'DESC'];
    const active = cur === orderKey;
    const next = active && dir === 'DESC' ? 'ASC' : 'DESC';
    return h('th', { scope: 'col', class: 'sortable', 'aria-sort': active ? (dir === 'ASC' ? 'ascending' : 'descending') : null, title },
      h('button', { type: 'button', class: 'link', onclick: () => {
        const q = new URLSearchParams(query);
        q.set('order', orderKey + ' ' + next);
        go(q);
      } }, label, active ? (dir === 'ASC' ? ' ▲' : ' ▼') : ''));
  };

  const renderTable = () => {
    if (!runs.length) {
      clear(results, h('p', { class: 'muted' }, filter ? 'No runs match the filter.' : 'No runs in this experiment yet.'));
      return;
    }
    const all = h('input', { type: 'checkbox', 'aria-label': 'Select all runs', checked: selected.size === runs.length, onchange: (e) => {
      runs.forEach((r) => (e.target.checked ? selected.add(r.info.run_id) : selected.delete(r.info.run_id)));
      results.querySelectorAll('tbody input[type=checkbox]').forEach((b) => { b.checked = e.target.checked; });
      updateCompare();
    } });
    const heads = [h('th', { scope: 'col', class: 'sel' }, all), ...fixed.map((f) => header(f.label, f.order)),
      ...columns.map((c) => header(c.key, kinds[c.kind] + '.' + ident(c.key), kinds[c.kind] + '.' + c.key))];
    const rows = runs.map((r) => {
      const id = r.info.run_id;
      return h('tr', null,
        h('td', { class: 'sel' }, h('input', { type: 'checkbox', 'aria-label': 'Select run ' + runName(r), checked: selected.has(id), onchange: (e) => {
          if (e.target.checked) selected.add(id); else selected.delete(id);
          updateCompare();
        } })),
        h('td', null, link('#/runs/' + encodeURIComponent(id), runName(r))),
        h('td', null, h('span', { class: 'status s-' + String(r.info.status).toLowerCase() }, r.info.status)),
        h('td', { class: 'nowrap' }, fmtTime(r.info.start_time)),
        h('td', { class: 'num' }, fmtDuration(r.info.start_time, r.info.end_time)),
        columns.map((c) => h('td', { class: c.kind === 'metric' ? 'num' : null }, cellValue(r, c))));
    });
    clear(results, table(heads, rows, { class: 'runs' }));
  };

  const load = async () => {
    const r = await post('runs/search', { experiment_ids: [expId], filter, order_by: [order], max_results: RUNS_PAGE, page_token: nextToken || undefined });
    runs.push(...(r.runs || []));
    nextToken = r.next_page_token || '';
    const keys = allKeys();
    if (!columns) columns = defaultColumns(keys);
    renderPicker(keys);
    renderTable();
    pageMore(count, more, runs.length, 'run', nextToken, load);
  };

  clear(el,
    h('p', { class: 'crumbs' }, link('#/', 'Experiments'), ' / '),
    h('h1', null, exp.name),
    h('p', { class: 'muted' }, 'ID ', h('code', null, exp.experiment_id), ' · artifacts ', h('code', null, exp.artifact_location),
      ' · ', h('a', { href: '#/promptlab?experiment=' + encodeURIComponent(expId), class: 'promptlab-link' }, 'Prompt lab')),
    expTabs(expId, 'runs'),
    form,
    h('p', { class: 'muted hint' }, 'MLflow\'s filter language, e.g. ', h('code', null, "metrics.accuracy > 0.9 and params.optimizer = 'adam'"),
      ', ', h('code', null, "tags.team = 'vision'"), ', ', h('code', null, "attributes.status = 'FINISHED'"), '. Click a header to sort.'),
    h('div', { class: 'row toolbar' }, compare, picker, count),
    results, more);
  try {
    await load();
  } catch (err) {
    clear(results, errorBox(err));
  }
}
