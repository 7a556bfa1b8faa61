// Recipes: the runs `berth recipe run` records (tagged berth.recipe.run),
// each drawn as its graph (steps in order, status, duration) and each
// step's card (what it read, wrote, measured — as `berth recipe inspect`),
// linked to the runs it made and the model version and alias it
// registered or promoted. The cards come from the run's artifact
// recipe/cards.json.
import { h, clear, table, kv, fmtNum, fmtTime, link, modelHref, toMap } from './dom.js';
import { post, get, runArtifact, pages, ident, quote } from './api.js';

const tagRun = 'berth.recipe.run';
const cardsArtifact = 'recipe/cards.json';

const statusChip = (s) => h('span', { class: 'recipe-status recipe-' + s }, s);
const runHref = (id) => '#/runs/' + encodeURIComponent(id);
const secs = (v) => (v === undefined || v === null ? '' : Number(v).toFixed(2) + ' s');

// recipesPage lists the recorded recipe runs, newest first.
export async function recipesPage(el, stale) {
  const exps = await pages((token) => post('experiments/search', { max_results: 1000, page_token: token }), 'experiments', stale);
  const ids = exps.map((e) => e.experiment_id);
  let runs = [];
  if (ids.length) {
    runs = (await post('runs/search', {
      experiment_ids: ids, filter: 'tags.' + ident(tagRun) + ' = ' + quote('true'),
      order_by: ['attributes.start_time DESC'], max_results: 200,
    })).runs || [];
  }
  clear(el,
    h('h1', null, 'Recipes'),
    h('p', { class: 'muted' }, 'Each ', h('code', null, 'berth recipe run'), ' against this server is recorded here: its graph and each step\'s card.'),
    runs.length
      ? table(['Model', 'Recipe', 'Status', 'Started', 'Steps'], runs.map((r) => {
        const t = toMap(r.data.tags);
        return [link('#/recipes/' + encodeURIComponent(r.info.run_id), t['berth.recipe.model_name'] || r.info.run_id),
          t['berth.recipe'] || '', statusChip(t['berth.recipe.status'] || 'unknown'), fmtTime(r.info.start_time),
          h('span', { class: 'recipe-graph-text' }, t['berth.recipe.graph'] || '')];
      }), { class: 'recipes' })
      : h('p', { class: 'muted' }, 'No recipe runs yet: run ', h('code', null, 'berth recipe init classification && berth recipe run --registry-uri URI'), '.'));
}

// valueCell links what a value names: the model version, the alias.
function valueCell(key, value, rep) {
  if (key === 'model_uri' || key === 'model_version') {
    const v = key === 'model_version' ? value : value.split('/').pop();
    return link(modelHref(rep.model_name, v), value);
  }
  if (key === 'alias' || key === 'promoted') return link(modelHref(rep.model_name), value);
  return h('span', { class: 'wrap' }, value);
}

function card(step, rep) {
  const c = step.card;
  const head = h('h2', null, step.name, ' ', h('small', { class: 'muted' }, step.kind + (step.entry_point ? ' · entry point ' + step.entry_point : '')));
  if (!c) {
    return h('section', { class: 'card recipe-card', id: 'step-' + step.name, 'data-step': step.name, 'data-status': step.status },
      head, h('p', { class: 'muted' }, 'Not run this time (an earlier step failed, or the run stopped before it).'));
  }
  const parts = [
    kv([['status', statusChip(step.status)], ['key', h('code', { class: 'wrap' }, c.key)], ['started', c.started],
      ['duration', secs(c.seconds) + (c.cached ? ' (when it ran; cached now)' : '')]]),
  ];
  if (c.error) parts.push(h('div', { class: 'error', role: 'note' }, c.error));
  const read = Object.keys(c.read || {}).sort();
  if (read.length) parts.push(h('h3', null, 'Read'), table(['File', 'SHA-256'], read.map((f) => [h('code', { class: 'wrap' }, f), h('code', null, c.read[f].slice(0, 12))]), { class: 'recipe-read' }));
  if ((c.wrote || []).length) parts.push(h('h3', null, 'Wrote'), h('ul', { class: 'recipe-wrote' }, c.wrote.map((f) => h('li', null, h('code', { class: 'wrap' }, f)))));
  const metrics = Object.keys(c.metrics || {}).sort();
  if (metrics.length) parts.push(h('h3', null, 'Measured'), table(['Metric', 'Value'], metrics.map((m) => [m, fmtNum(c.metrics[m])]), { class: 'recipe-metrics' }));
  const values = Object.keys(c.values || {}).sort();
  if (values.length) parts.push(h('h3', null, 'Values'), table(['Key', 'Value'], values.map((k) => [h('code', null, k), valueCell(k, c.values[k], rep)]), { class: 'recipe-values' }));
  if ((c.failures || []).length) parts.push(h('h3', null, 'Failed checks'), h('ul', null, c.failures.map((f) => h('li', null, f))));
  if ((c.run_ids || []).length) parts.push(h('h3', null, 'Runs'), h('ul', { class: 'recipe-runs' }, c.run_ids.map((id) => h('li', null, link(runHref(id), id)))));
  return h('section', { class: 'card recipe-card', id: 'step-' + step.name, 'data-step': step.name, 'data-status': step.status }, head, parts);
}

// recipePage draws one recorded recipe run.
export async function recipePage(el, runId) {
  const run = (await get('runs/get', { run_id: runId })).run;
  const resp = await runArtifact(runId, cardsArtifact);
  const rep = await resp.json();
  const steps = rep.steps || [];
  const graph = h('ol', { class: 'recipe-graph' }, steps.map((s) =>
    h('li', { class: 'recipe-step', 'data-step': s.name, 'data-status': s.status },
      h('a', { href: '#step-' + s.name, onclick: (e) => { e.preventDefault(); document.getElementById('step-' + s.name)?.scrollIntoView(); } },
        h('strong', null, s.name)), ' ', h('small', { class: 'muted' }, s.kind), ' ', statusChip(s.status),
      s.card ? h('small', null, ' ' + secs(s.card.seconds)) : null)));
  clear(el,
    h('p', { class: 'crumbs' }, link('#/recipes', 'Recipes'), ' / '),
    h('h1', null, 'Recipe ' + (rep.model_name || runId)),
    kv([['recipe', rep.recipe], ['model', link(modelHref(rep.model_name), rep.model_name)], ['model type', rep.model_type],
      ['target', rep.target_col], ['profile', rep.profile || ''], ['directory', h('code', { class: 'wrap' }, rep.dir)],
      ['status', statusChip(rep.status)], ['run', link(runHref(runId), run.info.run_name || runId)], ['started', fmtTime(run.info.start_time)]]),
    rep.error ? h('div', { class: 'error', role: 'note' }, rep.error) : null,
    h('section', null, h('h2', null, 'Graph'), graph),
    steps.map((s) => card(s, rep)));
}
