// The MLflow REST API of the server that serves this page. Every request
// carries the bearer token from Settings, when one is set.

const TOKEN_KEY = 'berth.token';

export function getToken() {
  try { return localStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}

export function setToken(t) {
  try {
    if (t) localStorage.setItem(TOKEN_KEY, t); else localStorage.removeItem(TOKEN_KEY);
  } catch { /* storage disabled: the token lasts for this page only */ }
}

// APIError is a failed request: the HTTP status, MLflow's error_code and
// the server's message.
export class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  // hint says what the user can do about it.
  get hint() {
    if (this.status === 401) return 'This server needs a token: set one in Settings.';
    if (this.status === 403) return 'The token in Settings may only read; changes need a write token.';
    return '';
  }
}

function qs(query) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => p.append(k, x)); else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? '?' + s : '';
}

async function request(method, url, { query, body, raw } = {}) {
  const headers = {};
  const token = getToken();
  if (token) headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(url + qs(query), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new APIError(0, 'NETWORK', 'Cannot reach the server: ' + e.message);
  }
  if (!resp.ok) {
    let code = '', msg = resp.statusText || 'HTTP ' + resp.status;
    try {
      const j = await resp.json();
      code = j.error_code || '';
      msg = j.message || msg;
    } catch { /* not MLflow's error JSON */ }
    throw new APIError(resp.status, code, msg);
  }
  return raw ? resp : resp.json();
}

const base = '/api/2.0/mlflow/';
export const get = (path, query) => request('GET', base + path, { query });
export const post = (path, body) => request('POST', base + path, { body });
export const del = (path, body) => request('DELETE', base + path, { body });

// runArtifact fetches one file of a run's artifacts.
export const runArtifact = (runId, path) => request('GET', '/get-artifact', { query: { run_uuid: runId, path }, raw: true });

// modelArtifact fetches one file of a model version's artifacts.
export const modelArtifact = (name, version, path) =>
  request('GET', '/model-versions/get-artifact', { query: { name, version, path }, raw: true });

// pages collects every item of a paged MLflow list: page(token) fetches
// one page (token is undefined for the first) and key names its list. It
// stops early once stale() says the page that asked is gone.
export async function pages(page, key, stale = () => false) {
  const out = [];
  let token;
  do {
    const r = await page(token);
    out.push(...(r[key] || []));
    token = r.next_page_token || undefined;
  } while (token && !stale());
  return out;
}

// metricHistory returns every value of a run's metric, in order of step.
export const metricHistory = (runId, key) =>
  pages((token) => get('metrics/get-history', { run_id: runId, metric_key: key, max_results: 25000, page_token: token }), 'metrics');

// quote writes s as a single-quoted string of MLflow's filter language.
export const quote = (s) => "'" + String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";

// ident writes a param, metric or tag key for filters and order_by.
export const ident = (s) => '`' + String(s).replace(/`/g, '') + '`';

// MLflow 3's routes under /api/3.0 (traces).
const base3 = '/api/3.0/mlflow/';
export const get3 = (path, query) => request('GET', base3 + path, { query });
export const post3 = (path, body) => request('POST', base3 + path, { body });

// Logged models' routes take the id in the path.
export const loggedModel = (id) => get('logged-models/' + encodeURIComponent(id));

// proxiedList lists a directory of the artifact proxy (mlflow-artifacts:/DIR);
// proxiedArtifact fetches one file of it.
export const proxiedList = (dir) => request('GET', '/api/2.0/mlflow-artifacts/artifacts', { query: { path: dir } });
export const proxiedArtifact = (p) =>
  request('GET', '/api/2.0/mlflow-artifacts/artifacts/' + p.split('/').map(encodeURIComponent).join('/'), { raw: true });

// berth's own read routes under /ajax-api/2.0/berth/ (the gateway page's).
export const berth = (path) => request('GET', '/ajax-api/2.0/berth/' + path);
