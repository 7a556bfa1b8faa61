// MLflow 3's traces: an experiment's traces tab (search, status, duration,
// tags) and one trace: its span tree on a timeline, each span's inputs,
// outputs, attributes and exceptions, and the trace's assessments.
import { h, clear, errorBox, table, kv, fmtTime, fmtMs, link, expTabs, pageMore, filterForm } from './dom.js';
import { get, get3, post3, proxiedList, proxiedArtifact } from './api.js';

const TRACES_PAGE = 100;

// traceName is what the client named a trace (its root span), or its id.
const traceName = (t) => (t.tags && t.tags['mlflow.traceName']) || t.trace_id;

// durationMs reads a protobuf Duration as JSON ("0.189s").
export const durationMs = (d) => (d && /^-?[\d.]+s$/.test(d) ? Number(d.slice(0, -1)) * 1000 : null);

const stateClass = (s) => 'status s-' + ({ OK: 'finished', ERROR: 'failed', IN_PROGRESS: 'running' }[s] || 'other');

// userTags are a trace's tags that people set (not mlflow.*).
const userTags = (tags) => Object.entries(tags || {}).filter(([k]) => !k.startsWith('mlflow.')).sort(([a], [b]) => a.localeCompare(b));

const traceHref = (id) => '#/traces/' + encodeURIComponent(id);

export async function tracesPage(el, expId, query, stale) {
  const exp = (await get('experiments/get', { experiment_id: expId })).experiment;
  const filter = query.get('filter') || '';
  const traces = [];
  let nextToken = '';
  const go = (q) => { location.hash = '#/experiments/' + encodeURIComponent(expId) + '/traces' + (q.toString() ? '?' + q : ''); };
  const form = filterForm(query, filter, go, 'Filter traces', "trace.status = 'ERROR' and tags.env = 'prod'");
  const count = h('span', { class: 'muted' });
  const results = h('div', { class: 'results' });
  const more = h('div', { class: 'more' });

  const render = () => {
    if (!traces.length) {
      clear(results, h('p', { class: 'muted' }, filter ? 'No traces match the filter.'
        : 'No traces in this experiment yet. Decorate a function with @mlflow.trace, or export spans over OTLP to /v1/traces.'));
      return;
    }
    clear(results, table(['Trace', 'Status', 'Request time', 'Duration', 'Request', 'Response', 'Tags'], traces.map((t) => h('tr', null,
      h('td', null, link(traceHref(t.trace_id), traceName(t)), h('div', null, h('code', { class: 'muted small' }, t.trace_id))),
      h('td', null, h('span', { class: stateClass(t.state) }, t.state || '')),
      h('td', { class: 'nowrap' }, fmtTime(Date.parse(t.request_time))),
      h('td', { class: 'num' }, fmtMs(durationMs(t.execution_duration))),
      h('td', { class: 'preview-cell' }, t.request_preview || ''),
      h('td', { class: 'preview-cell' }, t.response_preview || ''),
      h('td', null, h('span', { class: 'chips' }, userTags(t.tags).map(([k, v]) => h('span', { class: 'chip' }, k + '=' + v)))))),
    { class: 'traces' }));
  };

  const load = async () => {
    const r = await post3('traces/search', {
      locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: expId } }],
      filter: filter || undefined, max_results: TRACES_PAGE, page_token: nextToken || undefined });
    traces.push(...(r.traces || []));
    // MLflow sends a token after every full page, even the last.
    nextToken = (r.traces || []).length === TRACES_PAGE ? r.next_page_token || '' : '';
    render();
    pageMore(count, more, traces.length, 'trace', nextToken, load);
  };

  clear(el,
    h('p', { class: 'crumbs' }, link('#/', 'Experiments'), ' / '),
    h('h1', null, exp.name),
    h('p', { class: 'muted' }, 'ID ', h('code', null, exp.experiment_id)),
    expTabs(expId, 'traces'),
    form,
    h('p', { class: 'muted hint' }, 'MLflow\'s trace filter, e.g. ', h('code', null, "trace.status = 'ERROR'"), ', ',
      h('code', null, 'trace.execution_time_ms > 1000'), ', ', h('code', null, "tags.env = 'prod'"), ', ',
      h('code', null, "span.type = 'LLM'"), ', ', h('code', null, "feedback.correct = 'true'"), '. Newest first.'),
    h('div', { class: 'row toolbar' }, count),
    results, more);
  try {
    await load();
  } catch (err) {
    clear(results, errorBox(err));
  }
}

// anyValue reads an OTLP AnyValue (as MLflow renders it in JSON).
export function anyValue(v) {
  if (!v || typeof v !== 'object') return v;
  if ('string_value' in v) return v.string_value;
  if ('stringValue' in v) return v.stringValue;
  for (const k of ['bool_value', 'boolValue', 'double_value', 'doubleValue']) if (k in v) return v[k];
  for (const k of ['int_value', 'intValue']) if (k in v) return Number(v[k]);
  const arr = v.array_value || v.arrayValue;
  if (arr) return (arr.values || []).map(anyValue);
  const kvl = v.kvlist_value || v.kvlistValue;
  if (kvl) return Object.fromEntries((kvl.values || []).map((x) => [x.key, anyValue(x.value)]));
  return null;
}

// attrMap reads attributes: OTLP's list of {key, value}, or the JSON-string
// values of MLflow's traces.json.
function attrMap(attrs) {
  if (Array.isArray(attrs)) return Object.fromEntries(attrs.map((a) => [a.key, anyValue(a.value)]));
  return Object.fromEntries(Object.entries(attrs || {}).map(([k, v]) => {
    if (typeof v !== 'string') return [k, v];
    try { return [k, JSON.parse(v)]; } catch { return [k, v]; }
  }));
}

// normSpan reads a span of batchGet (OTLP JSON) or of a traces.json artifact.
export function normSpan(s) {
  const ctx = s.context || {};
  const code = String((s.status && (s.status.code ?? s.status.status_code)) || s.status_code || '');
  return {
    id: s.span_id || ctx.span_id || '',
    parent: s.parent_span_id || s.parent_id || '',
    name: s.name || '',
    start: Number(s.start_time_unix_nano ?? s.start_time_ns ?? s.start_time ?? 0) / 1e6,
    end: Number(s.end_time_unix_nano ?? s.end_time_ns ?? s.end_time ?? 0) / 1e6,
    attributes: attrMap(s.attributes),
    error: /ERROR|^2$/.test(code),
    statusMessage: (s.status && (s.status.message || s.status.description)) || '',
    events: (s.events || []).map((e) => ({ name: e.name, time: Number(e.time_unix_nano ?? e.timestamp ?? 0) / 1e6, attributes: attrMap(e.attributes) })),
  };
}

// spanTree orders spans depth first, children by start time, each with its depth.
export function spanTree(spans) {
  const ids = new Set(spans.map((s) => s.id));
  const kids = new Map();
  for (const s of spans) {
    const p = s.parent && ids.has(s.parent) ? s.parent : '';
    if (!kids.has(p)) kids.set(p, []);
    kids.get(p).push(s);
  }
  const out = [];
  const walk = (p, depth) => {
    for (const s of (kids.get(p) || []).sort((a, b) => a.start - b.start)) {
      out.push({ span: s, depth });
      if (s.id) walk(s.id, depth + 1);
    }
  };
  walk('', 0);
  return out;
}

const show = (v) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));

// preview shows a trace's request or response: the client's preview, else
// (a trace exported over OTLP by another SDK) the root span's attribute.
function preview(text, root, attr) {
  if (!text && root && attr in root.attributes) text = typeof root.attributes[attr] === 'string' ? root.attributes[attr] : JSON.stringify(root.attributes[attr]);
  return text ? h('pre', { class: 'code short' }, text) : h('span', { class: 'muted' }, 'None.');
}

// spansOf returns a trace's spans: from the server's store (batchGet), or
// from the traces.json artifact an MLflow client below 3.4 uploads.
async function spansOf(info) {
  const r = await get3('traces/batchGet', { trace_ids: info.trace_id });
  const t = (r.traces || []).find((x) => x.trace_info.trace_id === info.trace_id);
  if (t) return t.spans || [];
  const loc = (info.tags || {})['mlflow.artifactLocation'] || '';
  const dir = loc.replace(/^mlflow-artifacts:\/*/, '');
  if (!dir || dir === loc) return [];
  // Listed first, so that a trace whose spans never came asks for no missing file.
  const files = (await proxiedList(dir)).files || [];
  if (!files.some((f) => f.path.split('/').pop() === 'traces.json' && !f.is_dir)) return [];
  const data = await (await proxiedArtifact(dir + '/traces.json')).json();
  return data.spans || [];
}

export async function tracePage(el, traceId, query, stale) {
  const info = (await get3('traces/' + encodeURIComponent(traceId))).trace.trace_info;
  const expId = info.trace_location && info.trace_location.mlflow_experiment ? info.trace_location.mlflow_experiment.experiment_id : '';
  let exp = null;
  if (expId) try { exp = (await get('experiments/get', { experiment_id: expId })).experiment; } catch { /* shown by id */ }
  const spans = (await spansOf(info)).map(normSpan);
  if (stale()) return;
  const rows = spanTree(spans);
  const t0 = Math.min(...spans.map((s) => s.start));
  const total = Math.max(1e-6, Math.max(...spans.map((s) => s.end)) - t0);

  const detail = h('div', { class: 'span-detail' });
  const tree = h('div', { class: 'span-tree', role: 'list' });
  const select = (i) => {
    tree.querySelectorAll('.span-row').forEach((r, j) => r.setAttribute('aria-current', String(i === j)));
    const q = new URLSearchParams(query);
    q.set('span', rows[i].span.id);
    history.replaceState(null, '', traceHref(traceId) + '?' + q);
    showSpan(detail, rows[i].span);
  };
  rows.forEach(({ span: s, depth }, i) => {
    const left = ((s.start - t0) / total) * 100;
    const width = Math.max(0.4, ((s.end - s.start) / total) * 100);
    const type = s.attributes['mlflow.spanType'];
    tree.append(h('button', { type: 'button', class: 'span-row' + (s.error ? ' error-span' : ''), role: 'listitem', onclick: () => select(i),
      title: `${s.name}: ${fmtMs(s.end - s.start)} from +${fmtMs(s.start - t0)}` },
    h('span', { class: 'span-name', style: `padding-left: ${depth * 14}px` }, s.name,
      type && type !== 'UNKNOWN' ? h('span', { class: 'chip span-type' }, type) : null),
    h('span', { class: 'span-bar-track' },
      h('span', { class: 'span-bar', style: `left: ${left.toFixed(3)}%; width: ${Math.min(width, 100 - left).toFixed(3)}%` })),
    h('span', { class: 'span-dur num' }, fmtMs(s.end - s.start))));
  });

  const root = rows.length ? rows[0].span : null;
  const tags = Object.entries(info.tags || {}).sort(([a], [b]) => a.localeCompare(b));
  const meta = Object.entries(info.trace_metadata || {}).sort(([a], [b]) => a.localeCompare(b));
  const runId = (info.trace_metadata || {})['mlflow.sourceRun'] || (info.tags || {})['mlflow.sourceRun'];
  clear(el,
    h('p', { class: 'crumbs' }, link('#/', 'Experiments'), ' / ',
      expId ? link('#/experiments/' + encodeURIComponent(expId) + '/traces', (exp ? exp.name : expId) + ' · traces') : '', ' / '),
    h('h1', null, traceName(info)),
    kv([
      ['Trace ID', h('code', null, info.trace_id)],
      ['Status', h('span', { class: stateClass(info.state) }, info.state || '')],
      ['Request time', fmtTime(Date.parse(info.request_time))],
      ['Duration', fmtMs(durationMs(info.execution_duration))],
      ['Run', runId ? link('#/runs/' + encodeURIComponent(runId), runId) : h('span', { class: 'muted' }, 'None.')],
      ['Request', preview(info.request_preview, root, 'mlflow.spanInputs')],
      ['Response', preview(info.response_preview, root, 'mlflow.spanOutputs')],
    ]),
    h('section', null, h('h2', null, 'Spans'),
      spans.length ? h('div', { class: 'split spans' }, h('div', { class: 'timeline-box' },
        h('div', { class: 'span-axis muted' }, h('span', null, '0'), h('span', null, fmtMs(total))), tree), detail)
        : h('p', { class: 'muted' }, 'The server holds no spans of this trace.')),
    h('section', null, h('h2', null, 'Assessments'), assessmentsTable(info.assessments || [], spans)),
    h('section', null, h('h2', null, 'Tags'), kv(tags, 'No tags.')),
    h('section', null, h('h2', null, 'Metadata'), kv(meta, 'No metadata.')));
  if (rows.length) {
    const want = query.get('span');
    const i = rows.findIndex((r) => r.span.id === want);
    select(i >= 0 ? i : 0);
  }
}

// showSpan shows one span: its timing, inputs, outputs, exceptions, other
// events and attributes.
function showSpan(box, s) {
  const a = s.attributes;
  const special = new Set(['mlflow.spanInputs', 'mlflow.spanOutputs', 'mlflow.traceRequestId']);
  const attrs = Object.entries(a).filter(([k]) => !special.has(k)).sort(([x], [y]) => x.localeCompare(y));
  const exceptions = s.events.filter((e) => e.name === 'exception');
  const others = s.events.filter((e) => e.name !== 'exception');
  clear(box,
    h('h3', null, s.name, ' ', h('span', { class: 'muted' }, fmtMs(s.end - s.start))),
    s.error ? h('div', { class: 'error' }, h('strong', null, 'Error'), s.statusMessage ? ': ' + s.statusMessage : '') : null,
    exceptions.map((e) => h('div', { class: 'exception' },
      h('h4', null, 'Exception: ', String(e.attributes['exception.type'] || '')),
      h('p', null, String(e.attributes['exception.message'] || '')),
      e.attributes['exception.stacktrace'] ? h('pre', { class: 'code' }, String(e.attributes['exception.stacktrace'])) : null)),
    h('h4', null, 'Inputs'), 'mlflow.spanInputs' in a ? h('pre', { class: 'code inputs' }, show(a['mlflow.spanInputs'])) : h('p', { class: 'muted' }, 'None.'),
    h('h4', null, 'Outputs'), 'mlflow.spanOutputs' in a ? h('pre', { class: 'code outputs' }, show(a['mlflow.spanOutputs'])) : h('p', { class: 'muted' }, 'None.'),
    others.length ? [h('h4', null, 'Events'), table(['Event', 'Time', 'Attributes'], others.map((e) => [e.name, fmtTime(e.time),
      h('code', null, JSON.stringify(e.attributes))]))] : null,
    h('h4', null, 'Attributes'), kv(attrs.map(([k, v]) => [k, typeof v === 'string' ? v : h('code', null, JSON.stringify(v))]), 'No attributes.'));
}

// assessmentsTable lists feedback and expectations, newest last.
function assessmentsTable(list, spans) {
  if (!list.length) return h('p', { class: 'muted' }, 'No assessments. Log them with mlflow.log_feedback or mlflow.log_expectation.');
  const spanName = Object.fromEntries(spans.map((s) => [s.id, s.name]));
  return table(['Name', 'Kind', 'Value', 'Source', 'Rationale', 'Span'], list.map((a) => {
    const kind = a.feedback ? 'feedback' : a.expectation ? 'expectation' : '';
    const body = a.feedback || a.expectation || {};
    const value = body.error ? 'error: ' + (body.error.error_message || body.error.error_code || '')
      : 'value' in body ? show(body.value) : body.serialized_value ? body.serialized_value.value : '';
    const src = a.source ? [a.source.source_type, a.source.source_id].filter(Boolean).join(': ') : '';
    return [h('strong', null, a.assessment_name || ''), kind, h('code', null, value), src, a.rationale || '',
      a.span_id ? spanName[a.span_id] || a.span_id : ''];
  }), { class: 'assessments' });
}
