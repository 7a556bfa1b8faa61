// DOM helpers. Every value from the server enters the page as text
// (textContent or attributes), never as HTML.

// h creates an element: h('a', {href: '#/', class: 'x', onclick: fn}, 'text', child, ...).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// clear empties el and fills it with children.
export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// errorBox shows a failed request: its message and what to do about it.
export function errorBox(err) {
  const status = err && err.status ? ` (HTTP ${err.status}${err.code ? ', ' + err.code : ''})` : '';
  return h('div', { class: 'error', role: 'alert' },
    h('strong', null, 'Error' + status + ': '), String((err && err.message) || err),
    err && err.hint ? h('div', { class: 'hint' }, err.hint) : null);
}

export function fmtTime(ms) {
  if (!ms) return '';
  const d = new Date(Number(ms));
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function fmtDuration(start, end) {
  if (!start || !end) return '';
  let s = Math.max(0, (Number(end) - Number(start)) / 1000);
  if (s < 60) return s.toFixed(1) + 's';
  const m = Math.floor(s / 60);
  s = Math.round(s % 60);
  if (m < 60) return `${m}m${s}s`;
  return `${Math.floor(m / 60)}h${m % 60}m`;
}

export function fmtNum(v) {
  if (v === undefined || v === null || v === '') return '';
  const n = Number(v);
  if (!Number.isFinite(n)) return String(v);
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const a = Math.abs(n);
  return a !== 0 && (a < 1e-4 || a >= 1e6) ? n.toExponential(4) : String(Number(n.toPrecision(6)));
}

export function fmtBytes(n) {
  if (n === undefined || n === null) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  n = Number(n);
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : String(n)) + ' ' + units[i];
}

// table makes a table from header cells and rows of cells; cells are
// strings or nodes.
export function table(headers, rows, attrs) {
  const body = document.createDocumentFragment();
  for (const r of rows) body.append(r instanceof Node ? r : h('tr', null, r.map((c) => h('td', null, c))));
  return h('div', { class: 'scroll' },
    h('table', attrs || null,
      h('thead', null, h('tr', null, headers.map((c) => (c instanceof Node ? c : h('th', { scope: 'col' }, c))))),
      h('tbody', null, body)));
}

// kv makes a two-column table of key/value pairs.
export function kv(pairs, empty) {
  if (!pairs.length) return h('p', { class: 'muted' }, empty || 'None.');
  return table(['Key', 'Value'], pairs.map(([k, v]) => [h('code', null, k), v]), { class: 'kv' });
}

export const link = (href, text) => h('a', { href }, text);

// modelHref links to a registered model's page, or to one of its versions.
export const modelHref = (name, version) => '#/models/' + encodeURIComponent(name) + (version ? '?version=' + encodeURIComponent(version) : '');

// runName is a run's name, or its id when it has none.
export const runName = (run) => run.info.run_name || run.info.run_id.slice(0, 8);

export function latestMetrics(run) {
  const m = {};
  for (const x of run.data.metrics || []) m[x.key] = x;
  return m;
}

export const toMap = (list) => Object.fromEntries((list || []).map((x) => [x.key, x.value]));

// driftWords says a drift status in words that stand alone, where no
// "Drift status" label precedes it ("drifting", not "drift drift").
export const driftWords = (s) => ({ ok: 'no drift', warning: 'drift warning', drift: 'drifting' })[s] || 'drift ' + s;

// expTabs links an experiment's runs, traces and logged models; current is
// 'runs', 'traces' or 'models'.
export function expTabs(expId, current) {
  const base = '#/experiments/' + encodeURIComponent(expId);
  return h('nav', { class: 'tabs', 'aria-label': 'Experiment' },
    [['runs', 'Runs', base], ['traces', 'Traces', base + '/traces'], ['models', 'Models', base + '/models']].map(([id, label, href]) =>
      h('a', { href, 'aria-current': id === current ? 'page' : null }, label)));
}

// fmtMs writes a duration in milliseconds: 850 ms, 1.25 s, 2m5s.
export function fmtMs(ms) {
  if (ms === undefined || ms === null || !Number.isFinite(Number(ms))) return '';
  ms = Number(ms);
  if (ms < 1000) return (ms < 10 ? Number(ms.toFixed(2)) : Math.round(ms)) + ' ms';
  if (ms < 60000) return Number((ms / 1000).toFixed(2)) + ' s';
  return fmtDuration(0, ms);
}

// fileTree lists dir into box from list(dir), a promise of files whose paths
// are relative to the tree's root; directories load when first opened, and
// onFile gets the file clicked.
export async function fileTree(box, list, dir, onFile) {
  const files = (await list(dir)).sort((a, b) => (b.is_dir - a.is_dir) || a.path.localeCompare(b.path));
  if (!files.length) {
    clear(box, h('p', { class: 'muted' }, dir ? 'Empty.' : 'No artifacts.'));
    return;
  }
  clear(box, h('ul', { class: 'tree' }, files.map((f) => {
    const base = f.path.split('/').pop();
    if (f.is_dir) {
      const sub = h('div');
      const d = h('details', null, h('summary', null, base + '/'), sub);
      let loaded = false;
      d.addEventListener('toggle', () => {
        if (d.open && !loaded) {
          loaded = true;
          fileTree(sub, list, f.path, onFile).catch((err) => clear(sub, errorBox(err)));
        }
      });
      return h('li', null, d);
    }
    return h('li', null, h('button', { type: 'button', class: 'link', onclick: () => onFile(f) }, base),
      ' ', h('span', { class: 'muted' }, fmtBytes(f.file_size)));
  })));
}

// pageMore shows how many of a paged list are loaded in count ("3 runs (more
// available)") and, while nextToken is set, a "Load more" button in more that
// calls load.
export function pageMore(count, more, n, noun, nextToken, load) {
  count.textContent = `${n} ${noun}${n === 1 ? '' : 's'}${nextToken ? ' (more available)' : ''}`;
  clear(more, nextToken ? h('button', { type: 'button', onclick: async (e) => {
    e.target.disabled = true;
    try { await load(); } catch (err) { clear(more, errorBox(err)); }
  } }, 'Load more') : null);
}

// filterForm is a list's filter box: Search sends the query with filter set
// (or without it, when blank) to go, and Clear, shown while a filter is in
// force, drops it.
export function filterForm(query, filter, go, label, placeholder) {
  const input = h('input', { type: 'search', name: 'filter', value: filter, class: 'grow', 'aria-label': label, placeholder });
  return h('form', { class: 'row filter', onsubmit: (e) => {
    e.preventDefault();
    const q = new URLSearchParams(query);
    if (input.value.trim()) q.set('filter', input.value.trim()); else q.delete('filter');
    go(q);
  } }, input, h('button', { type: 'submit' }, 'Search'),
  filter ? h('button', { type: 'button', onclick: () => { const q = new URLSearchParams(query); q.delete('filter'); go(q); } }, 'Clear') : null);
}
