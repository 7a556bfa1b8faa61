// The model registry: registered models, and a model's versions, aliases,
// tags and signatures, with forms that set aliases and tags.
import { h, clear, errorBox, table, kv, fmtTime, link, modelHref, toMap } from './dom.js';
import { get, post, del, modelArtifact, quote, pages } from './api.js';
import { productionPanel, productionSummary } from './production.js';
import { isPrompt } from './prompts.js';

const rerender = () => window.dispatchEvent(new HashChangeEvent('hashchange'));

export async function modelsPage(el, stale) {
  // Prompts live in the registry too; they have their own page.
  const models = (await pages((token) => get('registered-models/search', { max_results: 1000, page_token: token }), 'registered_models', stale))
    .filter((m) => !isPrompt(m));
  clear(el,
    h('h1', null, 'Registered models'),
    models.length
      ? table(['Name', 'Latest version', 'Aliases', 'Last updated', 'Description'], models.map((m) => {
        const latest = (m.latest_versions || []).reduce((a, v) => Math.max(a, Number(v.version)), 0);
        return [link(modelHref(m.name), m.name), latest ? link(modelHref(m.name, latest), 'v' + latest) : '',
          aliasChips(m.name, (m.aliases || []).map((a) => [a.alias, a.version])),
          fmtTime(m.last_updated_timestamp), m.description || ''];
      }), { class: 'list' })
      : h('p', { class: 'muted' }, 'No registered models yet. Register one with ', h('code', null, 'berth models register'), ' or the MLflow client.'));
}

function aliasChips(name, pairs) {
  return h('span', { class: 'chips' }, pairs.map(([alias, version]) =>
    h('a', { class: 'chip', href: modelHref(name, version), title: version ? 'version ' + version : null }, '@' + alias + (version ? ' → v' + version : ''))));
}

// action runs a change and shows its error, or re-renders the page.
function action(box, fn) {
  return async (e) => {
    e.preventDefault();
    const btn = e.target.querySelector ? e.target.querySelector('button[type=submit]') : null;
    if (btn) btn.disabled = true;
    clear(box);
    try {
      await fn();
      rerender();
    } catch (err) {
      clear(box, errorBox(err));
      if (btn) btn.disabled = false;
    }
  };
}

// parseSignature reads the signature of an MLmodel file: its inputs,
// outputs and params, each a JSON string in single-quoted YAML.
export function parseSignature(text) {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^signature:\s*$/.test(l));
  if (start < 0) return null;
  const out = {};
  const closed = (s) => s.replace(/''/g, '').trimEnd().endsWith("'");
  for (let j = start + 1; j < lines.length && /^\s+\S/.test(lines[j]); j++) {
    const m = lines[j].match(/^\s+(inputs|outputs|params):\s*(.*)$/);
    if (!m || m[2] === 'null' || m[2] === '') continue;
    let v = m[2];
    if (v.startsWith("'")) {
      v = v.slice(1);
      while (!closed(v) && j + 1 < lines.length) v += ' ' + lines[++j].trim();
      v = v.trimEnd().replace(/'$/, '').replace(/''/g, "'");
    }
    try { out[m[1]] = JSON.parse(v); } catch { out[m[1]] = v; }
  }
  return out;
}

function specTable(spec) {
  if (!Array.isArray(spec)) return h('pre', { class: 'code' }, typeof spec === 'string' ? spec : JSON.stringify(spec, null, 2));
  return table(['Name', 'Type', 'Shape', 'Required'], spec.map((c) => {
    const ts = c['tensor-spec'];
    return [c.name ?? '', ts ? `tensor ${ts.dtype}` : (c.type ?? ''), ts ? JSON.stringify(ts.shape) : (c.shape ? JSON.stringify(c.shape) : ''),
      c.required === false ? 'no' : 'yes'];
  }));
}

async function versionDetail(box, name, v, aliasesOf) {
  const tagMsg = h('div');
  const key = h('input', { name: 'key', required: true, placeholder: 'key', 'aria-label': 'Tag key' });
  const value = h('input', { name: 'value', placeholder: 'value', 'aria-label': 'Tag value' });
  const sig = h('div', null, h('p', { class: 'muted' }, 'Reading MLmodel…'));
  const production = h('section', { class: 'production' });
  clear(box,
    h('h2', null, `Version ${v.version}`),
    kv([
      ['Aliases', aliasChips(name, aliasesOf(v).map((a) => [a, '']))],
      ['Status', v.status || ''],
      ['Stage', v.current_stage || ''],
      ['Created', fmtTime(v.creation_timestamp)],
      ['Source run', v.run_id ? link('#/runs/' + encodeURIComponent(v.run_id), v.run_id) : ''],
      ['Source', h('code', null, v.source || '')],
      ['Description', v.description || ''],
    ]),
    production,
    h('h3', null, 'Tags'),
    kv((v.tags || []).map((t) => [t.key, t.value]), 'No tags.'),
    h('form', { class: 'row', onsubmit: action(tagMsg, () => post('model-versions/set-tag', { name, version: v.version, key: key.value, value: value.value })) },
      key, value, h('button', { type: 'submit' }, 'Set version tag')),
    tagMsg,
    h('h3', null, 'Signature'),
    sig);
  productionPanel(production, name, v);
  try {
    const text = await (await modelArtifact(name, v.version, 'MLmodel')).text();
    const s = parseSignature(text);
    clear(sig,
      s && (s.inputs || s.outputs)
        ? [h('h4', null, 'Inputs'), s.inputs ? specTable(s.inputs) : h('p', { class: 'muted' }, 'None.'),
          h('h4', null, 'Outputs'), s.outputs ? specTable(s.outputs) : h('p', { class: 'muted' }, 'None.'),
          s.params ? [h('h4', null, 'Params'), specTable(s.params)] : null]
        : h('p', { class: 'muted' }, 'The MLmodel file has no signature.'),
      h('details', null, h('summary', null, 'MLmodel'), h('pre', { class: 'code' }, text)));
  } catch (err) {
    clear(sig, h('p', { class: 'muted' }, 'No MLmodel file could be read for this version: ' + err.message));
  }
}

// versionTags is a version's tags for the versions table: the user's, and
// a count of berth serve's (berth.*), which the Production column sums up
// and the version's own section lists; a row of a dozen long chips made
// the table wider and taller than the page.
function versionTags(v) {
  const all = Object.entries(toMap(v.tags));
  const berth = all.filter(([k]) => k.startsWith('berth.')).length;
  return [all.filter(([k]) => !k.startsWith('berth.')).map(([k, x]) => h('span', { class: 'chip' }, k + '=' + x)),
    berth ? h('span', { class: 'muted', title: 'berth serve\'s tags: see the version below' }, ` ${berth} berth tag${berth === 1 ? '' : 's'}`) : null];
}

export async function modelPage(el, name, query, stale) {
  const model = (await get('registered-models/get', { name })).registered_model;
  const versions = await pages((token) => get('model-versions/search',
    { filter: 'name = ' + quote(name), max_results: 1000, page_token: token }), 'model_versions', stale);
  versions.sort((a, b) => Number(b.version) - Number(a.version));
  // The version asked for, else the one serving behind @champion, else the newest.
  const champion = ((model.aliases || []).find((a) => a.alias === 'champion') || {}).version;
  const chosen = versions.find((v) => v.version === query.get('version')) || versions.find((v) => v.version === champion) || versions[0];

  const aliasMsg = h('div');
  const aliasName = h('input', { name: 'alias', required: true, placeholder: 'alias, e.g. champion', 'aria-label': 'Alias' });
  const aliasVersion = h('select', { name: 'version', 'aria-label': 'Version' },
    versions.map((v) => h('option', { value: v.version, selected: chosen && v.version === chosen.version }, 'v' + v.version)));
  const tagMsg = h('div');
  const tagKey = h('input', { name: 'key', required: true, placeholder: 'key', 'aria-label': 'Tag key' });
  const tagValue = h('input', { name: 'value', placeholder: 'value', 'aria-label': 'Tag value' });
  const detail = h('section', { class: 'card' });

  const aliases = (model.aliases || []).map((a) => [a.alias, a.version]);
  // A version's aliases, from the model's (search results may leave them out).
  const aliasesOf = (v) => [...new Set([...(v.aliases || []), ...aliases.filter(([, x]) => x === v.version).map(([a]) => a)])];
  clear(el,
    h('p', { class: 'crumbs' }, link('#/models', 'Models'), ' / '),
    h('h1', null, model.name),
    model.description ? h('p', null, model.description) : null,
    h('section', null, h('h2', null, 'Aliases'),
      aliases.length ? table(['Alias', 'Version', ''], aliases.map(([a, v]) => [h('code', null, '@' + a), link(modelHref(name, v), 'v' + v),
        h('button', { type: 'button', class: 'small', onclick: action(aliasMsg, () => del('registered-models/alias', { name, alias: a })) }, 'Remove')]))
        : h('p', { class: 'muted' }, 'No aliases.'),
      versions.length ? h('form', { class: 'row', onsubmit: action(aliasMsg, () => post('registered-models/alias', { name, alias: aliasName.value.trim(), version: aliasVersion.value })) },
        aliasName, aliasVersion, h('button', { type: 'submit' }, 'Set or move alias')) : null,
      aliasMsg),
    h('section', null, h('h2', null, 'Versions'),
      versions.length ? table(['Version', 'Aliases', 'Status', 'Production', 'Created', 'Source run', 'Tags'], versions.map((v) => h('tr', { class: chosen === v ? 'chosen' : null },
        h('td', null, link(modelHref(name, v.version), 'v' + v.version)),
        h('td', null, aliasChips(name, aliasesOf(v).map((a) => [a, '']))),
        h('td', null, v.status || ''),
        h('td', { class: 'nowrap' }, productionSummary(toMap(v.tags))),
        h('td', { class: 'nowrap' }, fmtTime(v.creation_timestamp)),
        h('td', null, v.run_id ? link('#/runs/' + encodeURIComponent(v.run_id), v.run_id.slice(0, 8)) : ''),
        h('td', null, versionTags(v))))) : h('p', { class: 'muted' }, 'No versions.')),
    chosen ? detail : null,
    h('section', null, h('h2', null, 'Model tags'),
      kv((model.tags || []).map((t) => [t.key, t.value]), 'No tags.'),
      h('form', { class: 'row', onsubmit: action(tagMsg, () => post('registered-models/set-tag', { name, key: tagKey.value, value: tagValue.value })) },
        tagKey, tagValue, h('button', { type: 'submit' }, 'Set model tag')),
      tagMsg));
  if (chosen) await versionDetail(detail, name, chosen, aliasesOf);
}
