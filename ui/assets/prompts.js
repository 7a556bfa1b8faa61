// MLflow 3's prompt registry: prompts are registered models tagged
// mlflow.prompt.is_prompt, their versions model versions holding the
// template in mlflow.prompt.text. A prompt's page lists its versions and
// aliases and shows two versions' templates as a line diff.
import { h, clear, table, kv, fmtTime, link, toMap } from './dom.js';
import { get, quote, pages } from './api.js';

export const PROMPT_TAG = 'mlflow.prompt.is_prompt';
export const isPrompt = (m) => (m.tags || []).some((t) => t.key === PROMPT_TAG && t.value === 'true');
const promptHref = (name, q) => '#/prompts/' + encodeURIComponent(name) + (q ? '?' + q : '');

export async function promptsPage(el, stale) {
  const prompts = await pages((token) => get('registered-models/search',
    { filter: 'tags.`' + PROMPT_TAG + "` = 'true'", max_results: 1000, page_token: token }), 'registered_models', stale);
  clear(el,
    h('h1', null, 'Prompts'),
    prompts.length
      ? table(['Name', 'Latest version', 'Aliases', 'Last updated', 'Description'], prompts.map((m) => {
        const latest = (m.latest_versions || []).reduce((a, v) => Math.max(a, Number(v.version)), 0);
        return [link(promptHref(m.name), m.name), latest ? 'v' + latest : '',
          h('span', { class: 'chips' }, (m.aliases || []).map((a) => h('span', { class: 'chip' }, '@' + a.alias + ' → v' + a.version))),
          fmtTime(m.last_updated_timestamp), m.description || ''];
      }), { class: 'list prompts' })
      : h('p', { class: 'muted' }, 'No prompts yet. Register one with ', h('code', null, 'mlflow.genai.register_prompt'), '.'));
}

// lineDiff compares two texts line by line (longest common subsequence):
// a list of [op, line], op ' ' kept, '-' only in a, '+' only in b.
export function lineDiff(a, b) {
  const x = a.split('\n'), y = b.split('\n');
  const n = x.length, m = y.length;
  const l = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) l[i][j] = x[i] === y[j] ? l[i + 1][j + 1] + 1 : Math.max(l[i + 1][j], l[i][j + 1]);
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { out.push([' ', x[i]]); i++; j++; } else if (l[i + 1][j] >= l[i][j + 1]) out.push(['-', x[i++]]); else out.push(['+', y[j++]]);
  }
  while (i < n) out.push(['-', x[i++]]);
  while (j < m) out.push(['+', y[j++]]);
  return out;
}

// template is a version's text; a chat prompt's JSON is pretty-printed so
// that its diff is by message.
function template(v) {
  const t = toMap(v.tags);
  const text = t['mlflow.prompt.text'] ?? '';
  if (t._mlflow_prompt_type === 'chat') {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch { /* shown as it is */ }
  }
  return text;
}

export async function promptPage(el, name, query, stale) {
  const m = (await get('registered-models/get', { name })).registered_model;
  const versions = (await pages((token) => get('model-versions/search', { filter: 'name = ' + quote(name), max_results: 1000, page_token: token }),
    'model_versions', stale)).sort((a, b) => Number(b.version) - Number(a.version));
  const aliases = {};
  for (const a of m.aliases || []) (aliases[a.version] ||= []).push(a.alias);
  const byVersion = Object.fromEntries(versions.map((v) => [v.version, v]));
  const chosen = byVersion[query.get('version')] || versions[0];
  const chosenIdx = versions.indexOf(chosen);
  const against = byVersion[query.get('against')] || versions[chosenIdx + 1] || null;
  const go = (q) => { history.replaceState(null, '', promptHref(name, q)); window.dispatchEvent(new HashChangeEvent('hashchange')); };
  const pick = (label, key, current) => h('label', { class: 'row' }, label + ' ',
    h('select', { 'aria-label': label, name: key, onchange: (e) => {
      const q = new URLSearchParams(query);
      q.set(key, e.target.value);
      go(q);
    } }, versions.map((v) => h('option', { value: v.version, selected: current && v.version === current.version }, 'v' + v.version))));
  const tags = (m.tags || []).filter((t) => t.key !== PROMPT_TAG);

  clear(el,
    h('p', { class: 'crumbs' }, link('#/prompts', 'Prompts'), ' / '),
    h('h1', null, name),
    m.description ? h('p', null, m.description) : null,
    kv([
      ['Aliases', (m.aliases || []).length ? h('span', { class: 'chips' }, m.aliases.map((a) =>
        h('a', { class: 'chip', href: promptHref(name, 'version=' + encodeURIComponent(a.version)) }, '@' + a.alias + ' → v' + a.version)))
        : h('span', { class: 'muted' }, 'None.')],
      ['Load with', h('code', null, `mlflow.genai.load_prompt("prompts:/${name}/${chosen ? chosen.version : 1}")`)],
    ]),
    h('section', null, h('h2', null, 'Versions'), versions.length
      ? table(['Version', 'Aliases', 'Created', 'Commit message'], versions.map((v) => h('tr', { class: v === chosen ? 'chosen' : null },
        h('td', null, h('a', { href: promptHref(name, 'version=' + encodeURIComponent(v.version)) }, 'v' + v.version)),
        h('td', null, h('span', { class: 'chips' }, (aliases[v.version] || []).map((a) => h('span', { class: 'chip' }, '@' + a)))),
        h('td', { class: 'nowrap' }, fmtTime(v.creation_timestamp)), h('td', null, v.description || ''))), { class: 'versions' })
      : h('p', { class: 'muted' }, 'No versions.')),
    chosen ? h('section', { class: 'template' }, h('h2', null, 'Template of v' + chosen.version),
      h('pre', { class: 'code template-text' }, template(chosen))) : null,
    versions.length > 1 ? h('section', { class: 'diff' }, h('h2', null, 'Changes'),
      h('div', { class: 'row' }, pick('From', 'against', against), pick('To', 'version', chosen)),
      against ? diffView(template(against), template(chosen)) : h('p', { class: 'muted' }, 'v' + chosen.version + ' is the first version.')) : null,
    h('section', null, h('h2', null, 'Tags'), kv(tags.map((t) => [t.key, t.value]), 'No tags.')));
}

function diffView(a, b) {
  const d = lineDiff(a, b);
  if (d.every(([op]) => op === ' ')) return h('p', { class: 'muted' }, 'The two templates are the same.');
  const cls = { ' ': 'same', '-': 'del', '+': 'add' };
  return h('pre', { class: 'code diff-text' }, d.map(([op, line]) => h('span', { class: 'line ' + cls[op] }, op + ' ' + line + '\n')));
}
