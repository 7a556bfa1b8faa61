// The prompt lab (#/promptlab?experiment=ID): MLflow's prompt engineering
// UI on the gateway berth server mounts. Templates with {{ variable }}
// placeholders, side by side as columns (template × endpoint × parameters),
// run over a table of input rows through MLflow's own routes: the gateway
// proxy (/ajax-api/2.0/mlflow/gateway-proxy) to list and call endpoints,
// runs/create-promptlab-run and upload-artifact to save the winner as a
// prompt lab run, and the registry's calls (as MLflow 3's register_prompt
// makes them) to keep its template as a prompt version.
//
// The work lives in module state, so leaving the page and coming back loses
// nothing; a failed row keeps its reason and can be retried alone.
import { h, clear, errorBox, link, fmtMs, fmtNum } from './dom.js';
import { APIError, getToken, get, post, quote } from './api.js';
import { PROMPT_TAG } from './prompts.js';

// CONCURRENCY bounds the calls in flight at once, over all columns.
export const CONCURRENCY = 4;
// MLFLOW_VERSION is the version create-promptlab-run records (the recording's).
const MLFLOW_VERSION = '2.17.2';
const GATEWAY_KEY = 'berth.gatewayKey';
const PROXY = '/ajax-api/2.0/mlflow/gateway-proxy';

// ---- MLflow's template rules (package prompt's Parse, in JavaScript) ----

const utf8 = new TextEncoder();
const byteAt = (s, i) => utf8.encode(s.slice(0, i)).length;

// parseTemplate returns {vars} (names in order of first use, each once) or
// {error, offset}: the message package prompt gives, offset the byte of the
// fault, as in `"{{" without a closing "}}" (at byte 6)`.
export function parseTemplate(src) {
  const vars = [];
  let i = 0;
  const fail = (at, msg) => ({ vars: [], error: `${msg} (at byte ${byteAt(src, at)})`, offset: byteAt(src, at), index: at });
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    const close = src.indexOf('}}', i);
    if (close >= 0 && (open < 0 || close < open)) return fail(close, '"}}" without an opening "{{"');
    if (open < 0) break;
    const end = src.indexOf('}}', open + 2);
    if (end < 0) return fail(open, '"{{" without a closing "}}"');
    const inner = src.slice(open + 2, end);
    if (inner.includes('{{')) return fail(open, '"{{" without a closing "}}" before the next "{{"');
    const name = inner.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (!name) return fail(open, '"{{ }}" holds no variable name');
    if (!/^[A-Za-z0-9_]+$/.test(name)) return fail(open, `${JSON.stringify(name)} is not a variable name: use letters, digits and underscores`);
    if (!vars.includes(name)) vars.push(name);
    i = end + 2;
  }
  return { vars };
}

// checkVars is package prompt's Check: the template's variables that the
// inputs do not have, named.
export function checkVars(vars, known) {
  const unknown = vars.filter((v) => !known.includes(v));
  if (!unknown.length) return '';
  const q = (l) => l.map((x) => JSON.stringify(x)).join(', ');
  return `the template uses unknown variable(s) ${q(unknown)}; known: ${q(known)}`;
}

// render fills the template; values are inserted as they are.
export function render(src, values) {
  return src.replace(/\{\{[ \t\r\n]*([A-Za-z0-9_]+)[ \t\r\n]*\}\}/g, (_, name) => String(values[name] ?? ''));
}

// parseCSV reads RFC 4180 CSV (quoted fields, "" for a quote, CRLF or LF):
// {header, rows} or {error}. Blank lines are skipped; every row must have
// the header's number of fields.
export function parseCSV(text) {
  const records = [];
  let rec = [], field = '', quoted = false, i = 0, line = 1, wasQuoted = false, quoteLine = 0;
  const endField = () => { rec.push(field); field = ''; wasQuoted = false; };
  const endRecord = () => {
    endField();
    if (!(rec.length === 1 && rec[0] === '')) records.push({ fields: rec, line });
    rec = [];
  };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      if (c === '\n') line++;
      field += c; i++; continue;
    }
    if (c === '"') {
      if (field !== '' || wasQuoted) return { error: `line ${line}: a quote inside an unquoted field` };
      quoted = true; wasQuoted = true; quoteLine = line; i++; continue;
    }
    if (c === ',') { endField(); i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') { i++; continue; }
    if (c === '\n') { endRecord(); line++; i++; continue; }
    if (wasQuoted) return { error: `line ${line}: text after a closing quote` };
    field += c; i++;
  }
  if (quoted) return { error: `line ${quoteLine}: a quoted field is not closed` };
  if (field !== '' || rec.length) endRecord();
  if (!records.length) return { error: 'no header line' };
  const header = records[0].fields.map((x) => x.trim());
  const seen = new Set();
  for (const name of header) {
    if (!name) return { error: 'line 1: an empty column name' };
    if (seen.has(name)) return { error: `line 1: the column ${JSON.stringify(name)} appears twice` };
    seen.add(name);
  }
  const rows = [];
  for (const r of records.slice(1)) {
    if (r.fields.length !== header.length) return { error: `line ${r.line}: ${r.fields.length} fields, the header has ${header.length}` };
    rows.push(Object.fromEntries(header.map((k, j) => [k, r.fields[j]])));
  }
  return { header, rows };
}

// ---- Requests: MLflow's ajax routes, the gateway with its own key ----

export const getGatewayKey = () => { try { return localStorage.getItem(GATEWAY_KEY) || ''; } catch { return ''; } };
function setGatewayKey(k) {
  try { if (k) localStorage.setItem(GATEWAY_KEY, k); else localStorage.removeItem(GATEWAY_KEY); } catch { /* this page only */ }
}

async function call(method, url, { body, raw, token } = {}) {
  const headers = {};
  const bearer = token ?? getToken();
  if (bearer) headers.Authorization = 'Bearer ' + bearer;
  if (body !== undefined) headers['Content-Type'] = raw ? 'application/octet-stream' : 'application/json';
  let resp;
  try {
    resp = await fetch(url, { method, headers, body: body === undefined ? undefined : raw ? body : JSON.stringify(body) });
  } catch (e) {
    throw new APIError(0, 'NETWORK', 'Cannot reach the server: ' + e.message);
  }
  let j = null;
  try { j = await resp.json(); } catch { /* not JSON */ }
  if (!resp.ok) {
    const msg = (j && (j.message || (j.error && j.error.message) || (typeof j.detail === 'string' && j.detail))) || resp.statusText || 'HTTP ' + resp.status;
    throw new APIError(resp.status, (j && j.error_code) || '', msg);
  }
  return j;
}

// The gateway's calls carry the gateway key when one is set (a gateway with
// keys of its own), else the Settings token (a server whose tokens guard it).
const gatewayToken = () => getGatewayKey() || getToken();
const listEndpoints = () => call('GET', PROXY + '?gateway_path=' + encodeURIComponent('api/2.0/endpoints/'), { token: gatewayToken() });
const invoke = (endpoint, data) => call('POST', PROXY, { token: gatewayToken(), body: { gateway_path: 'endpoints/' + endpoint + '/invocations', json_data: data } });

// ---- State ----

let nextId = 1;
const state = {
  endpoints: null, // [{name, endpoint_type}]
  inputs: [], // the input table's variable columns
  locked: false, // inputs came from a CSV or a dataset: templates must use them
  rows: [],
  columns: [],
  winner: null,
  experiment: '0',
  running: 0,
};

const newRow = (values = {}, expected = '') => ({ id: nextId++, values, expected });

function newColumn(from) {
  const c = {
    id: nextId++, endpoint: from ? from.endpoint : '', template: from ? from.template : '',
    temperature: from ? from.temperature : '0', maxTokens: from ? from.maxTokens : '64', stop: from ? from.stop : '',
    results: new Map(),
  };
  return c;
}

const letter = (i) => String.fromCharCode(65 + (i % 26)) + (i >= 26 ? String(Math.floor(i / 26)) : '');
const colName = (c) => letter(state.columns.indexOf(c));
const endpointType = (name) => (state.endpoints || []).find((e) => e.name === name)?.endpoint_type || '';

// params are a column's model parameters as create-promptlab-run takes them.
function params(c) {
  const out = [];
  const t = Number(c.temperature);
  if (c.temperature !== '' && Number.isFinite(t)) out.push({ key: 'temperature', value: t });
  const n = Number(c.maxTokens);
  if (c.maxTokens !== '' && Number.isInteger(n) && n > 0) out.push({ key: 'max_tokens', value: n });
  const stop = c.stop.split(',').map((s) => s.trim()).filter(Boolean);
  if (stop.length) out.push({ key: 'stop', value: stop });
  return out;
}

// problem says why a column cannot run: '' when it can.
function problem(c) {
  const p = parseTemplate(c.template);
  if (p.error) return p.error;
  if (!c.template.trim()) return 'the template is empty';
  if (state.locked) { const e = checkVars(p.vars, state.inputs); if (e) return e; }
  if (!c.endpoint) return 'no endpoint chosen';
  const t = Number(c.temperature);
  if (c.temperature !== '' && (!Number.isFinite(t) || t < 0 || t > 2)) return 'temperature must be a number from 0 to 2';
  const n = Number(c.maxTokens);
  if (c.maxTokens !== '' && (!Number.isInteger(n) || n < 1)) return 'max_tokens must be a whole number above 0';
  return '';
}

// syncInputs makes the input columns the templates' variables (typed rows
// only; values of a variable no longer used are kept on the row).
function syncInputs() {
  if (state.locked) return;
  const vars = [];
  for (const c of state.columns) for (const v of parseTemplate(c.template).vars) if (!vars.includes(v)) vars.push(v);
  state.inputs = vars;
}

const signature = (c, row) => JSON.stringify([c.endpoint, c.template, params(c), state.inputs.map((k) => row.values[k] ?? '')]);

// ---- Running ----

const queue = [];
let active = 0;
let onChange = () => {};
let onIdle = () => {};

function runCell(c, row) {
  const r = { state: 'queued', sig: signature(c, row) };
  c.results.set(row.id, r);
  queue.push(async () => {
    r.state = 'running';
    onChange(c, row);
    const prompt = render(c.template, row.values);
    const data = Object.fromEntries(params(c).map((p) => [p.key, p.value]));
    const chat = endpointType(c.endpoint) === 'llm/v1/chat';
    if (chat) data.messages = [{ role: 'user', content: prompt }]; else data.prompt = prompt;
    const t0 = performance.now();
    try {
      const ans = await invoke(c.endpoint, data);
      const choice = (ans && ans.choices && ans.choices[0]) || {};
      const text = chat ? choice.message?.content : choice.text;
      if (typeof text !== 'string') throw new Error('the endpoint answered without a text choice');
      Object.assign(r, { state: 'done', prompt, output: text, latency: Math.round(performance.now() - t0),
        tokens: ans.usage?.completion_tokens ?? ans.usage?.total_tokens ?? null });
    } catch (err) {
      Object.assign(r, { state: 'failed', error: (err.status ? `HTTP ${err.status}: ` : '') + err.message + (err.hint ? ' ' + err.hint : '') });
    }
    onChange(c, row);
  });
  pump();
}

function pump() {
  state.running = queue.length + active;
  while (active < CONCURRENCY && queue.length) {
    const task = queue.shift();
    active++;
    task().finally(() => { active--; pump(); });
  }
  state.running = queue.length + active;
  if (!state.running) onIdle();
  const el = document.getElementById('promptlab');
  if (el) el.dataset.running = String(state.running);
}

// stale reports whether a cell's result no longer matches its inputs.
const current = (c, row) => { const r = c.results.get(row.id); return r && r.sig === signature(c, row) ? r : null; };

function runAll() {
  for (const c of state.columns) {
    if (problem(c)) continue;
    for (const row of state.rows) {
      const r = current(c, row);
      if (!r || r.state === 'failed') runCell(c, row);
    }
  }
}

// metrics are a column's figures over the rows it answered.
export function metrics(c) {
  const done = state.rows.map((row) => current(c, row)).filter((r) => r && r.state === 'done');
  const failed = state.rows.filter((row) => current(c, row)?.state === 'failed').length;
  const lat = done.map((r) => r.latency);
  const tokens = done.filter((r) => r.tokens !== null).map((r) => r.tokens);
  const withExpected = state.rows.filter((row) => row.expected !== '' && current(c, row)?.state === 'done');
  const exact = withExpected.filter((row) => current(c, row).output.trim() === row.expected.trim()).length;
  return {
    done: done.length, failed,
    meanLatency: lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : null,
    tokens: tokens.reduce((a, b) => a + b, 0), meanTokens: tokens.length ? tokens.reduce((a, b) => a + b, 0) / tokens.length : null,
    exact: withExpected.length ? exact / withExpected.length : null, expected: withExpected.length,
  };
}

// ---- Saving ----

// saveRun saves column c as MLflow's UI saves a prompt lab run: its first
// answered row through create-promptlab-run, then every answered row as the
// run's eval_results_table.json.
async function saveRun(c, runName) {
  const rows = state.rows.filter((row) => current(c, row)?.state === 'done');
  if (!rows.length) throw new Error('run the column first: no row has an answer to save');
  const vars = parseTemplate(c.template).vars;
  if (!vars.length) throw new Error('a prompt lab run needs at least one {{ variable }} in its template');
  const first = current(c, rows[0]);
  const outParams = (r) => [{ key: 'latency', value: r.latency }, { key: 'token_count', value: r.tokens ?? 0 }];
  const res = await call('POST', '/ajax-api/2.0/mlflow/runs/create-promptlab-run', { body: {
    experiment_id: state.experiment, run_name: runName || undefined, tags: [],
    prompt_template: c.template, prompt_parameters: vars.map((k) => ({ key: k, value: String(rows[0].values[k] ?? '') })),
    model_route: c.endpoint, model_parameters: params(c),
    model_input: first.prompt, model_output: first.output, model_output_parameters: outParams(first),
    mlflow_version: MLFLOW_VERSION, user_id: 'unknown', start_time: Date.now(),
  } });
  const run = res.run.info;
  const table = { columns: [...vars, 'prompt', 'output', 'latency', 'token_count'],
    data: rows.map((row) => { const r = current(c, row); return [...vars.map((k) => String(row.values[k] ?? '')), r.prompt, r.output, String(r.latency), String(r.tokens ?? 0)]; }) };
  await call('POST', '/ajax-api/2.0/mlflow/upload-artifact?run_uuid=' + encodeURIComponent(run.run_id) + '&path=eval_results_table.json',
    { body: JSON.stringify(table), raw: true });
  return run;
}

// modelConfig is MLflow 3's PromptModelConfig of column c: its endpoint as
// model_name and its parameters, so that `berth serve prompts:/NAME@ALIAS`
// calls the endpoint the lab chose with the same settings.
function modelConfig(c) {
  const mc = { model_name: c.endpoint };
  for (const p of params(c)) mc[p.key === 'stop' ? 'stop_sequences' : p.key] = p.value;
  return JSON.stringify(mc);
}

// registerPrompt keeps the template as a prompt version, with the calls
// MLflow 3's mlflow.genai.register_prompt (model_config included) and
// set_prompt_alias make, from column c.
async function registerPrompt(c, name, message, alias) {
  const template = c.template;
  // Searched rather than got: a missing model is an empty list, not a 404.
  const found = (await get('registered-models/search', { filter: 'name = ' + quote(name), max_results: 1 })).registered_models || [];
  const exists = found.length > 0;
  if (exists && !(found[0].tags || []).some((t) => t.key === PROMPT_TAG)) throw new Error(`"${name}" is a registered model, not a prompt: choose another name`);
  if (!exists) await post('registered-models/create', { name, tags: [{ key: PROMPT_TAG, value: 'true' }], description: message || undefined });
  const v = (await post('model-versions/create', { name, source: 'dummy-source', description: message || undefined, tags: [
    { key: PROMPT_TAG, value: 'true' }, { key: '_mlflow_prompt_type', value: 'text' }, { key: 'mlflow.prompt.text', value: template },
    { key: '_mlflow_prompt_model_config', value: modelConfig(c) }] })).model_version;
  if (alias) await post('registered-models/alias', { name, alias, version: v.version });
  return v;
}

// ---- The page ----

export async function promptlabPage(el, query, stale) {
  if (query.get('experiment')) state.experiment = query.get('experiment');
  const [eps, exps] = await Promise.all([
    listEndpoints().catch((err) => err),
    get('experiments/search', { max_results: 1000 }).catch(() => ({ experiments: [] })),
  ]);
  if (stale()) return;
  let epError = null;
  if (eps instanceof Error) epError = eps;
  else state.endpoints = (eps.endpoints || []).filter((e) => e.endpoint_type === 'llm/v1/chat' || e.endpoint_type === 'llm/v1/completions');
  if (!state.columns.length) state.columns.push(newColumn());
  for (const c of state.columns) if (!c.endpoint && state.endpoints?.length) c.endpoint = state.endpoints[0].name;
  if (!state.rows.length) state.rows.push(newRow());
  syncInputs();

  const colsBox = h('div', { class: 'pl-columns' });
  const rowsBox = h('div');
  const metricsBox = h('div');
  const saveBox = h('div');
  const dataMsg = h('div');

  const keyInput = h('input', { type: 'password', id: 'gateway-key', value: getGatewayKey(), autocomplete: 'off', class: 'grow',
    placeholder: 'bk-… (only when the gateway has keys of its own)' });

  function cellFor(c, row) {
    const td = h('td', { class: 'out', 'data-col': colName(c), 'data-row': String(state.rows.indexOf(row) + 1) });
    fillCell(td, c, row);
    return td;
  }
  function fillCell(td, c, row) {
    const r = c.results.get(row.id);
    const fresh = r && r.sig === signature(c, row);
    td.dataset.state = !r ? 'empty' : fresh ? r.state : 'stale';
    if (!r) return clear(td, h('span', { class: 'muted' }, '—'));
    const meta = r.state === 'done' ? h('div', { class: 'muted small meta' }, fmtMs(r.latency), r.tokens !== null ? ` · ${r.tokens} tokens` : '') : null;
    if (r.state === 'queued' || r.state === 'running') return clear(td, h('span', { class: 'muted' }, r.state === 'queued' ? 'queued…' : 'running…'));
    if (r.state === 'failed') {
      return clear(td, h('div', { class: 'pl-failed', role: 'alert' }, h('strong', null, 'failed: '), r.error),
        h('button', { type: 'button', class: 'small retry', disabled: !!problem(c), title: problem(c) || null, onclick: () => { if (!problem(c)) runCell(c, row); } }, 'Retry'));
    }
    return clear(td, h('div', { class: 'pl-output' }, r.output), meta, fresh ? null : h('div', { class: 'muted small' }, 'stale: inputs changed'));
  }
  // Answers redraw their own cell at once and the compare table once a
  // frame, however many arrive in it.
  let metricsFrame = 0;
  onChange = (c, row) => {
    const td = document.querySelector(`td.out[data-col="${colName(c)}"][data-row="${state.rows.indexOf(row) + 1}"]`);
    if (td) fillCell(td, c, row);
    if (!metricsFrame) metricsFrame = requestAnimationFrame(() => { metricsFrame = 0; drawMetrics(); });
  };
  // When the last call is answered the figures are drawn at once.
  onIdle = () => { cancelAnimationFrame(metricsFrame); metricsFrame = 0; drawMetrics(); };

  function drawColumns() {
    clear(colsBox, state.columns.map((c) => {
      const name = colName(c);
      const vars = h('div', { class: 'vars' });
      const err = h('div');
      const check = () => {
        const p = parseTemplate(c.template);
        clear(vars, p.vars.length ? ['Variables: ', h('span', { class: 'chips' }, p.vars.map((v) => h('span', { class: 'chip var' }, v)))]
          : h('span', { class: 'muted' }, 'No variables yet: write {{ name }} where a row\'s value goes.'));
        const why = problem(c);
        clear(err, why && c.template.trim() ? h('div', { class: 'error template-error', role: 'alert' }, why,
          h('div', { class: 'hint' }, 'MLflow\'s rules: a variable is {{ name }} — letters, digits and underscores, spaces allowed inside the braces; single braces are plain text.')) : null);
      };
      const ta = h('textarea', { class: 'template', rows: 5, 'aria-label': `Template ${name}`, value: c.template, spellcheck: 'false',
        oninput: () => { c.template = ta.value; check(); const before = state.inputs.join('\0'); syncInputs(); if (before !== state.inputs.join('\0')) drawRows(); drawMetrics(); } });
      ta.value = c.template;
      const sel = h('select', { 'aria-label': `Endpoint ${name}`, class: 'endpoint', onchange: () => { c.endpoint = sel.value; check(); drawMetrics(); } },
        (state.endpoints || []).map((e) => h('option', { value: e.name }, `${e.name} (${e.endpoint_type.replace('llm/v1/', '')})`)));
      sel.value = c.endpoint;
      const num = (label, key, attrs) => {
        const i = h('input', { ...attrs, 'aria-label': `${label} ${name}`, value: c[key], class: 'param', oninput: () => { c[key] = i.value; check(); drawMetrics(); } });
        return h('label', { class: 'param' }, label + ' ', i);
      };
      check();
      return h('section', { class: 'card pl-column', 'data-col': name },
        h('div', { class: 'row' }, h('h3', null, 'Column ' + name), sel,
          state.columns.length > 1 ? h('button', { type: 'button', class: 'small', onclick: () => { state.columns = state.columns.filter((x) => x !== c); if (state.winner === c) state.winner = null; syncInputs(); drawAll(); } }, 'Remove') : null),
        ta, vars, err,
        h('div', { class: 'row' }, num('temperature', 'temperature', { type: 'number', step: '0.1', min: '0', max: '2' }),
          num('max_tokens', 'maxTokens', { type: 'number', step: '1', min: '1' }), num('stop', 'stop', { type: 'text', placeholder: 'comma-separated' })));
    }), h('div', { class: 'row' }, h('button', { type: 'button', class: 'add-column', onclick: () => { state.columns.push(newColumn(state.columns[state.columns.length - 1])); drawAll(); } }, 'Add a column to compare')));
  }

  function drawRows() {
    const head = ['#', ...state.inputs, 'expected (optional)', ...state.columns.map((c) => `${colName(c)}: ${c.endpoint || '—'}`), ''];
    const body = state.rows.map((row, i) => h('tr', null,
      h('td', { class: 'num' }, String(i + 1)),
      state.inputs.map((k) => {
        const t = h('textarea', { rows: 1, class: 'cell', 'aria-label': `${k}, row ${i + 1}`, oninput: () => { row.values[k] = t.value; refreshCells(row); } });
        t.value = row.values[k] ?? '';
        return h('td', null, t);
      }),
      (() => { const t = h('input', { type: 'text', class: 'cell', 'aria-label': `expected, row ${i + 1}`, value: row.expected, oninput: () => { row.expected = t.value; drawMetrics(); } }); return h('td', null, t); })(),
      state.columns.map((c) => cellFor(c, row)),
      h('td', null, h('button', { type: 'button', class: 'small', 'aria-label': `Remove row ${i + 1}`, onclick: () => { state.rows = state.rows.filter((x) => x !== row); if (!state.rows.length) state.rows.push(newRow()); drawRows(); drawMetrics(); } }, '×'))));
    clear(rowsBox,
      state.locked ? h('p', { class: 'muted' }, 'Inputs from loaded data: ', state.inputs.join(', '), '. ',
        h('button', { type: 'button', class: 'link', onclick: () => { state.locked = false; syncInputs(); drawAll(); } }, 'Use the templates\' variables instead')) : null,
      h('div', { class: 'scroll' }, h('table', { class: 'pl-rows' },
        h('thead', null, h('tr', null, head.map((x) => h('th', { scope: 'col' }, x)))), h('tbody', null, body))),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'add-row', onclick: () => { state.rows.push(newRow()); drawRows(); } }, 'Add a row'),
        h('button', { type: 'submit', class: 'run-all', onclick: () => { runAll(); drawRows(); drawMetrics(); } }, 'Run every row')));
  }
  function refreshCells(row) {
    for (const c of state.columns) {
      const td = document.querySelector(`td.out[data-col="${colName(c)}"][data-row="${state.rows.indexOf(row) + 1}"]`);
      if (td) fillCell(td, c, row);
    }
    drawMetrics();
  }

  function drawMetrics() {
    const rows = state.columns.map((c) => {
      const m = metrics(c);
      const why = problem(c);
      return h('tr', { 'data-col': colName(c), class: state.winner === c ? 'chosen' : null },
        h('th', { scope: 'row' }, colName(c)), h('td', null, c.endpoint || '—'),
        h('td', { class: 'num done' }, `${m.done}/${state.rows.length}`), h('td', { class: 'num failed' }, String(m.failed)),
        h('td', { class: 'num latency' }, m.meanLatency === null ? '' : fmtMs(m.meanLatency)),
        h('td', { class: 'num tokens' }, m.meanTokens === null ? '' : fmtNum(Number(m.meanTokens.toFixed(2)))),
        h('td', { class: 'num exact' }, m.exact === null ? '' : `${fmtNum(Number(m.exact.toFixed(3)))} (${m.expected})`),
        h('td', null, why ? h('span', { class: 'muted' }, why) : h('label', { class: 'check' },
          h('input', { type: 'radio', name: 'winner', value: colName(c), checked: state.winner === c, onchange: () => { state.winner = c; drawMetrics(); drawSave(); } }), 'winner')));
    });
    clear(metricsBox, h('div', { class: 'scroll' }, h('table', { class: 'pl-metrics' },
      h('thead', null, h('tr', null, ['Column', 'Endpoint', 'Answered', 'Failed', 'Mean latency', 'Mean token_count', 'Exact match', 'Pick'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, rows))));
  }

  function drawSave() {
    const c = state.winner;
    if (!c || !state.columns.includes(c)) return clear(saveBox, h('p', { class: 'muted' }, 'Pick a winner above to save it.'));
    const expSel = h('select', { 'aria-label': 'Experiment', class: 'experiment', onchange: () => { state.experiment = expSel.value; } },
      (exps.experiments || []).map((e) => h('option', { value: e.experiment_id }, e.name)));
    if (![...expSel.options].some((o) => o.value === state.experiment)) expSel.append(h('option', { value: state.experiment }, 'experiment ' + state.experiment));
    expSel.value = state.experiment;
    const runName = h('input', { type: 'text', class: 'grow', 'aria-label': 'Run name', placeholder: 'run name (optional)' });
    const runMsg = h('div', { class: 'saved-run' });
    const pName = h('input', { type: 'text', class: 'grow', 'aria-label': 'Prompt name', placeholder: 'prompt name' });
    const pMsg = h('input', { type: 'text', class: 'grow', 'aria-label': 'Commit message', placeholder: 'commit message' });
    const pAlias = h('input', { type: 'text', 'aria-label': 'Alias', placeholder: 'alias (optional)', size: 14 });
    const regMsg = h('div', { class: 'registered-prompt' });
    const busy = async (btn, box, fn) => {
      btn.disabled = true;
      try { await fn(); } catch (err) { clear(box, errorBox(err)); } finally { btn.disabled = false; }
    };
    clear(saveBox,
      h('p', null, 'Winner: column ', h('strong', null, colName(c)), ' on ', h('code', null, c.endpoint), '.'),
      h('form', { class: 'card save-run', onsubmit: (e) => { e.preventDefault(); busy(e.submitter || e.target.querySelector('button'), runMsg, async () => {
        const run = await saveRun(c, runName.value.trim());
        clear(runMsg, h('p', null, 'Saved as run ', link('#/runs/' + encodeURIComponent(run.run_id), run.run_name || run.run_id), ' (prompt lab run, with its eval_results_table.json).'));
      }); } },
      h('h3', null, 'Save as a run'), h('div', { class: 'row' }, expSel, runName, h('button', { type: 'submit' }, 'Save run')), runMsg),
      h('form', { class: 'card register-prompt', onsubmit: (e) => { e.preventDefault(); busy(e.submitter || e.target.querySelector('button'), regMsg, async () => {
        if (!pName.value.trim()) throw new Error('name the prompt');
        const v = await registerPrompt(c, pName.value.trim(), pMsg.value.trim(), pAlias.value.trim());
        clear(regMsg, h('p', null, 'Registered ', link('#/prompts/' + encodeURIComponent(v.name) + '?version=' + v.version, `${v.name} v${v.version}`),
          pAlias.value.trim() ? ` @${pAlias.value.trim()}` : '', '.'));
      }); } },
      h('h3', null, 'Register the template as a prompt'), h('div', { class: 'row' }, pName, pMsg, pAlias, h('button', { type: 'submit' }, 'Register')), regMsg));
  }

  function drawAll() { drawColumns(); drawRows(); drawMetrics(); drawSave(); }

  // Loading rows: pasted CSV or an evaluation dataset's records.
  const csv = h('textarea', { rows: 4, class: 'csv', 'aria-label': 'CSV rows', placeholder: 'topic,style,expected\nthe sea,haiku,…' });
  const useRows = (inputs, rows) => {
    state.inputs = inputs; state.locked = true;
    state.rows = rows.map((r) => newRow(Object.fromEntries(inputs.map((k) => [k, r.values[k] ?? ''])), r.expected ?? ''));
    drawAll();
  };
  const loadCSV = () => {
    const p = parseCSV(csv.value);
    if (p.error) return clear(dataMsg, h('div', { class: 'error', role: 'alert' }, 'CSV: ' + p.error));
    const inputs = p.header.filter((k) => k !== 'expected');
    useRows(inputs, p.rows.map((r) => ({ values: r, expected: r.expected })));
    clear(dataMsg, h('p', { class: 'muted' }, `${p.rows.length} rows loaded.`));
  };
  const dsSel = h('select', { 'aria-label': 'Dataset' }, h('option', { value: '' }, 'an evaluation dataset…'));
  fetch('/api/3.0/mlflow/datasets/search', { method: 'POST', headers: { 'Content-Type': 'application/json', ...(getToken() ? { Authorization: 'Bearer ' + getToken() } : {}) }, body: '{"max_results":100}' })
    .then((r) => (r.ok ? r.json() : { datasets: [] })).then((j) => { for (const d of j.datasets || []) dsSel.append(h('option', { value: d.dataset_id }, d.name)); })
    .catch(() => { /* a store without datasets: the list stays empty */ });
  const loadDataset = async () => {
    if (!dsSel.value) return;
    try {
      const j = await call('GET', '/api/3.0/mlflow/datasets/' + encodeURIComponent(dsSel.value) + '/records?max_results=1000');
      const recs = JSON.parse(j.records || '[]');
      const inputs = [];
      for (const r of recs) for (const k of Object.keys(r.inputs || {})) if (!inputs.includes(k)) inputs.push(k);
      const str = (v) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));
      useRows(inputs, recs.map((r) => {
        const ex = r.expectations || {};
        const expected = 'expected_response' in ex ? ex.expected_response : Object.values(ex)[0];
        return { values: Object.fromEntries(Object.entries(r.inputs || {}).map(([k, v]) => [k, str(v)])), expected: str(expected) };
      }));
      clear(dataMsg, h('p', { class: 'muted' }, `${recs.length} rows loaded from the dataset.`));
    } catch (err) { clear(dataMsg, errorBox(err)); }
  };

  drawAll();
  clear(el,
    h('h1', null, 'Prompt lab'),
    h('p', { class: 'muted' }, 'Try prompt templates on the gateway\'s endpoints over the same rows, compare them, and save the winner as an MLflow prompt lab run and a prompt version.'),
    h('div', { id: 'promptlab', 'data-running': String(state.running) },
      epError ? errorBox(epError) : null,
      !epError && !state.endpoints.length ? h('div', { class: 'error', role: 'alert' }, 'The gateway has no chat or completions endpoint: start berth server with --gateway-config.') : null,
      h('details', { class: 'gateway-key' }, h('summary', null, 'Gateway key'),
        h('p', { class: 'muted' }, 'When the gateway has keys of its own (--gateway-keys), its calls need a gateway key; without one they carry the token from Settings. Kept in this browser.'),
        h('div', { class: 'row' }, keyInput, h('button', { type: 'button', onclick: () => { setGatewayKey(keyInput.value.trim()); } }, 'Use key'))),
      h('h2', null, 'Templates'), colsBox,
      h('h2', null, 'Rows'), rowsBox,
      h('details', { class: 'load-rows' }, h('summary', null, 'Load rows from CSV or a dataset'),
        h('p', { class: 'muted' }, 'The header names the variables; a column named expected is the expected answer.'), csv,
        h('div', { class: 'row' }, h('button', { type: 'button', class: 'load-csv', onclick: loadCSV }, 'Load CSV'), dsSel,
          h('button', { type: 'button', class: 'load-dataset', onclick: loadDataset }, 'Load dataset')), dataMsg),
      h('h2', null, 'Compare'), metricsBox,
      h('h2', null, 'Save'), saveBox));
}
