// berth's web UI: a hash router over the pages.
import { h, clear, errorBox } from './dom.js';
import { getToken, setToken } from './api.js';
import { experimentsPage, runsPage } from './experiments.js';
import { runPage } from './run.js';
import { comparePage } from './compare.js';
import { modelsPage, modelPage } from './models.js';
import { productionPage } from './production.js';
import { tracesPage, tracePage } from './traces.js';
import { loggedModelPage, experimentModelsPage } from './loggedmodels.js';
import { promptsPage, promptPage } from './prompts.js';
import { promptlabPage } from './promptlab.js';
import { gatewayPage } from './gateway.js';
import { recipesPage, recipePage } from './recipes.js';

const app = document.getElementById('app');

// route parses location.hash: #/path/parts?query.
export function route() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [p, q] = raw.split('?');
  const parts = p.split('/').filter(Boolean).map((x) => {
    try { return decodeURIComponent(x); } catch { return x; }
  });
  return { parts, query: new URLSearchParams(q || '') };
}

// setQuery replaces the hash's query without adding a history entry or
// re-rendering.
export function setQuery(query) {
  const { parts } = route();
  const q = query.toString();
  const hash = '#/' + parts.map(encodeURIComponent).join('/') + (q ? '?' + q : '');
  history.replaceState(null, '', hash);
}

function settingsPage(el) {
  const input = h('input', { type: 'password', id: 'token', value: getToken(), autocomplete: 'off', size: 40 });
  const msg = h('p', { class: 'muted' });
  clear(el,
    h('h1', null, 'Settings'),
    h('form', { class: 'card', onsubmit: (e) => {
      e.preventDefault();
      setToken(input.value.trim());
      msg.textContent = input.value.trim() ? 'Token saved in this browser.' : 'Token cleared.';
    } },
    h('label', { for: 'token' }, 'Bearer token'),
    h('p', { class: 'muted' }, 'Needed when the server runs with --read-token or --write-token. It is kept in this browser (localStorage) and sent with every API request.'),
    h('div', { class: 'row' }, input, h('button', { type: 'submit' }, 'Save'),
      h('button', { type: 'button', onclick: () => { input.value = ''; setToken(''); msg.textContent = 'Token cleared.'; } }, 'Clear')),
    msg));
}

let generation = 0;

async function render() {
  const gen = ++generation;
  const t0 = performance.now();
  app.dataset.state = 'loading';
  const { parts, query } = route();
  const top = parts[0] || '';
  document.querySelectorAll('nav a').forEach((a) => {
    const on = a.dataset.nav === (['models', 'prompts', 'promptlab', 'production', 'gateway', 'settings', 'recipes'].includes(top) ? top : 'experiments');
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
  document.querySelector('header.top').classList.remove('open');
  // Each page renders into its own element, swapped in when done, so that a
  // slow page never overwrites a newer one.
  const el = h('div', { class: 'page' });
  const stale = () => gen !== generation;
  const show = () => { if (!stale()) clear(app, el); };
  try {
    let p;
    if (top === '') p = experimentsPage(el, stale);
    else if (top === 'experiments' && parts[1] && parts[2] === 'traces') p = tracesPage(el, parts[1], query, stale);
    else if (top === 'experiments' && parts[1] && parts[2] === 'models') p = experimentModelsPage(el, parts[1], query, stale);
    else if (top === 'experiments' && parts[1]) p = runsPage(el, parts[1], query, stale);
    else if (top === 'traces' && parts[1]) p = tracePage(el, parts[1], query, stale);
    else if (top === 'logged-models' && parts[1]) p = loggedModelPage(el, parts[1], query, stale);
    else if (top === 'prompts' && parts[1]) p = promptPage(el, parts[1], query, stale);
    else if (top === 'prompts') p = promptsPage(el, stale);
    else if (top === 'promptlab') p = promptlabPage(el, query, stale);
    else if (top === 'runs' && parts[1]) p = runPage(el, parts[1], query, stale);
    else if (top === 'compare') p = comparePage(el, (query.get('runs') || '').split(',').filter(Boolean), query, stale);
    else if (top === 'models' && parts[1]) p = modelPage(el, parts[1], query, stale);
    else if (top === 'models') p = modelsPage(el, stale);
    else if (top === 'production') p = productionPage(el, stale);
    else if (top === 'gateway') p = gatewayPage(el, stale);
    else if (top === 'recipes' && parts[1]) p = recipePage(el, parts[1]);
    else if (top === 'recipes') p = recipesPage(el, stale);
    else if (top === 'settings') p = settingsPage(el);
    else clear(el, h('h1', null, 'Not found'), h('p', null, 'No page at ', h('code', null, location.hash), '.'));
    await p;
  } catch (err) {
    clear(el, errorBox(err));
  }
  show();
  if (stale()) return;
  document.title = (el.querySelector('h1')?.textContent || '') + ' · berth';
  // For tests and the curious: the page is drawn (charts may still load).
  app.dataset.renderMs = String(Math.round(performance.now() - t0));
  app.dataset.state = 'ready';
}

document.querySelector('button.menu').addEventListener('click', (e) => {
  const open = document.querySelector('header.top').classList.toggle('open');
  e.currentTarget.setAttribute('aria-expanded', String(open));
});
window.addEventListener('hashchange', render);
render();
