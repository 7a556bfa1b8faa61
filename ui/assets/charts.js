// Charts: metric histories drawn with uPlot (vendor/uPlot.iife.min.js, a
// global), a small SVG scatter and parallel coordinates for parameter
// sweeps, and the drift charts, which package chart draws on the server
// (drawnChart) exactly as berth serve's drift page and the offline report
// show them.
import { h, fmtNum, fmtTime } from './dom.js';

export const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
export const color = (i) => palette[i % palette.length];

// X axes a history chart can use.
export const axes = {
  step: { label: 'step', time: false, x: (m) => Number(m.step) },
  relative: { label: 'seconds since the run started', time: false, x: (m, start) => (Number(m.timestamp) - start) / 1000 },
  wall: { label: 'time', time: true, x: (m) => Number(m.timestamp) / 1000 },
  // berth serve logs a drift window's metrics at step = the window number.
  window: { label: 'window', time: false, x: (m) => Number(m.step) },
};

// describe is a chart's text alternative: its title, the x range and each
// series' last value.
function describe(title, ax, xv, series, data) {
  const x = (v) => (ax.time ? fmtTime(v * 1000) : fmtNum(v));
  const last = series.map((s, i) => {
    const ys = data[i + 1].filter((y) => y != null);
    return ys.length ? `${s.label} ${fmtNum(ys[ys.length - 1])}` : null;
  }).filter(Boolean);
  return `${title}: ${series.length} series over ${ax.label} ${x(xv[0])} to ${x(xv[xv.length - 1])}` +
    (last.length ? `; last values: ${last.join(', ')}` : '');
}

// historyChart draws one metric's history for several runs, overlaid:
// series is [{label, start, points: [{step, timestamp, value}]}].
export function historyChart(title, series, axis) {
  const ax = axes[axis] || axes.step;
  const box = h('div', { class: 'chart' });
  if (typeof uPlot !== 'function') {
    box.append(h('p', { class: 'muted' }, 'Charts are unavailable (uPlot did not load).'));
    return box;
  }
  const xs = new Set();
  const maps = series.map((s) => {
    const m = new Map();
    for (const p of s.points) {
      const x = ax.x(p, Number(s.start));
      const y = Number(p.value);
      if (Number.isFinite(x)) { m.set(x, Number.isFinite(y) ? y : null); xs.add(x); }
    }
    return m;
  });
  const xv = [...xs].sort((a, b) => a - b);
  const data = [xv, ...maps.map((m) => xv.map((x) => (m.has(x) ? m.get(x) : null)))];
  const many = series.some((s) => s.points.length > 60);
  const num = (u, v) => (v == null ? '' : fmtNum(v));
  if (xv.length) {
    box.setAttribute('role', 'img');
    box.setAttribute('aria-label', describe(title, ax, xv, series, data));
  }
  const opts = {
    title,
    width: 400,
    height: 220,
    scales: { x: { time: ax.time } },
    // Legend values: blank until the pointer is over the chart (uPlot's
    // default writes "--").
    series: [{ label: ax.label, value: ax.time ? (u, v) => (v == null ? '' : fmtTime(v * 1000)) : num },
      ...series.map((s, i) => ({ label: s.label, stroke: color(i), width: 1.5, spanGaps: true,
        points: { show: !many }, value: num }))],
    axes: [{ label: ax.time ? undefined : ax.label, size: 40,
      // Whole numbers only on a step or window axis.
      ...(ax.time ? {} : { values: (u, vals) => vals.map((v) => (axis === 'step' || axis === 'window') && !Number.isInteger(v) ? '' : fmtNum(v)) }) },
    { size: 60, values: (u, vals) => vals.map(fmtNum) }],
    // Series names only: uPlot's live legend writes "time: --" until hovered.
    legend: { live: false },
  };
  // Draw at a first guess of the width now, then follow the box's width
  // once it is in the page and whenever it changes.
  // Once the box has been in the page and leaves it (the page changed),
  // the observer disconnects and the plot is destroyed.
  const plot = new uPlot(opts, data, box);
  let shown = false;
  const ro = new ResizeObserver(() => requestAnimationFrame(() => {
    if (!box.isConnected) {
      if (shown) { ro.disconnect(); plot.destroy(); }
      return; // not in the page yet, or gone
    }
    shown = true;
    const w = Math.max(240, Math.floor(box.clientWidth) - 8);
    if (plot.width !== w) plot.setSize({ width: w, height: opts.height });
  }));
  ro.observe(box);
  box.observer = ro; // for tests
  return box;
}

const svgNS = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// ticks returns about n round values (1, 2 or 5 times a power of ten
// apart) between lo and hi.
function ticks(lo, hi, n) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

// scatter plots points [{x, y, label, href}] with x numeric, or categories
// when xCats is given (x is then an index into it).
export function scatter(xLabel, yLabel, points, xCats) {
  const W = 640, H = 320, L = 84, R = 20, T = 16, B = 48;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'scatter', role: 'img', 'aria-label': `${yLabel} against ${xLabel}` });
  const pts = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (!pts.length) return h('p', { class: 'muted' }, 'No run has both values.');
  // A parameter swept over decades (learning rates, regularisation) gets
  // a log axis, as in the parallel coordinates.
  const xMin = Math.min(...pts.map((p) => p.x)), xMax = Math.max(...pts.map((p) => p.x));
  const log = !xCats && xMin > 0 && xMax / xMin >= 100;
  const fx = log ? Math.log10 : (v) => v;
  let [x0, x1] = xCats ? [-0.5, xCats.length - 0.5] : [fx(xMin), fx(xMax)];
  let [y0, y1] = [Math.min(...pts.map((p) => p.y)), Math.max(...pts.map((p) => p.y))];
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { y0 -= 1; y1 += 1; }
  const padY = (y1 - y0) * 0.05, padX = xCats ? 0 : (x1 - x0) * 0.05;
  y0 -= padY; y1 += padY; x0 -= padX; x1 += padX;
  const X = (v) => L + ((fx(v) - x0) / (x1 - x0)) * (W - L - R);
  const Y = (v) => H - B - ((v - y0) / (y1 - y0)) * (H - T - B);
  svg.append(s('rect', { x: L, y: T, width: W - L - R, height: H - T - B, class: 'frame' }));
  for (const v of ticks(y0, y1, 4)) {
    svg.append(s('line', { x1: L, x2: W - R, y1: Y(v), y2: Y(v), class: 'grid' }));
    svg.append(s('text', { x: L - 6, y: Y(v) + 4, 'text-anchor': 'end' }, fmtNum(v)));
  }
  const xt = xCats ? xCats.map((_, i) => i)
    : log ? ticks(Math.ceil(x0), Math.floor(x1), Math.max(1, Math.floor(x1) - Math.ceil(x0))).map((e) => 10 ** e) : ticks(x0, x1, 5);
  for (const v of xt) {
    svg.append(s('text', { x: X(v), y: H - B + 16, 'text-anchor': 'middle' }, xCats ? xCats[v] : fmtNum(v)));
  }
  svg.append(s('text', { x: (L + W - R) / 2, y: H - 8, 'text-anchor': 'middle', class: 'axis-label' }, xLabel + (log ? ' (log)' : '')));
  svg.append(s('text', { x: 12, y: (T + H - B) / 2, 'text-anchor': 'middle', class: 'axis-label',
    transform: `rotate(-90 12 ${(T + H - B) / 2})` }, yLabel));
  pts.forEach((p, i) => {
    const a = s('a', { href: p.href || '#' },
      s('circle', { cx: X(p.x), cy: Y(p.y), r: 6, fill: color(i) },
        s('title', null, `${p.label}\n${xLabel} = ${xCats ? xCats[p.x] : fmtNum(p.x)}\n${yLabel} = ${fmtNum(p.y)}`)));
    svg.append(a);
  });
  return h('div', { class: 'scatter-box' }, svg);
}

// drawnChart returns a box that fills with a chart package chart draws
// (the UI handler's /static/chart/NAME.svg?params), inline so that its
// text alternative and tooltips work: 'histogram' or 'timeline', with
// params as chart's query (ui/chart.go). alt is said until it loads.
export function drawnChart(name, params, alt) {
  const box = h('div', { class: 'drawn-chart ' + name, role: 'img', 'aria-label': alt });
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
    else if (v !== undefined && v !== null && v !== '') q.append(k, String(v));
  }
  fetch(`/static/chart/${name}.svg?${q}`).then(async (r) => {
    if (!r.ok) throw new Error(await r.text());
    const doc = new DOMParser().parseFromString(await r.text(), 'image/svg+xml');
    const svg = doc.documentElement;
    if (svg.nodeName !== 'svg') throw new Error('not an SVG');
    box.removeAttribute('role');
    box.removeAttribute('aria-label');
    box.replaceChildren(document.importNode(svg, true));
  }).catch((err) => box.replaceChildren(h('p', { class: 'muted' }, `The chart did not load: ${err.message}`)));
  return box;
}

// parallel draws a parallel-coordinates view of a sweep: an axis per
// dimension ({label, cats} — cats lists the values of a categorical
// dimension, null for a numeric one) and a line per run ({label, href,
// values}) through its value on each axis. Lines are shaded by their value
// on the last axis, darker for higher; runs missing a value are left out.
export function parallel(dims, lines) {
  const full = lines.filter((l) => l.values.every((v) => (typeof v === 'number' ? Number.isFinite(v) : v !== undefined)));
  if (dims.length < 2 || !full.length) return h('p', { class: 'muted' }, 'Needs two dimensions and a run with values on all of them.');
  const W = Math.max(480, 150 * dims.length), H = 300, L = 60, R = 60, T = 28, B = 28;
  const X = (i) => L + (i * (W - L - R)) / (dims.length - 1);
  const scales = dims.map((d, i) => {
    if (d.cats) return (v) => H - B - ((d.cats.indexOf(v) + 0.5) / d.cats.length) * (H - T - B);
    const vs = full.map((l) => l.values[i]);
    let lo = Math.min(...vs), hi = Math.max(...vs);
    if (lo === hi) { lo -= 1; hi += 1; }
    d.lo = lo; d.hi = hi;
    // Sweeps over decades (learning rates, regularisation) get a log axis.
    d.log = lo > 0 && hi / lo >= 100;
    if (d.log) {
      const [a, b] = [Math.log10(lo), Math.log10(hi)];
      return (v) => H - B - ((Math.log10(v) - a) / (b - a)) * (H - T - B);
    }
    return (v) => H - B - ((v - lo) / (hi - lo)) * (H - T - B);
  });
  const last = dims.length - 1;
  const lastVals = full.map((l) => l.values[last]);
  const [mlo, mhi] = [Math.min(...lastVals), Math.max(...lastVals)];
  const shade = (v) => {
    const t = mhi > mlo ? (v - mlo) / (mhi - mlo) : 1;
    const mix = (a, b) => Math.round(a + (b - a) * t);
    return `rgb(${mix(189, 8)},${mix(215, 48)},${mix(231, 107)})`;
  };
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'parallel', style: `max-width:${W}px`, role: 'img', 'aria-label': 'parallel coordinates of ' + dims.map((d) => d.label).join(', ') });
  // Lowest first, so that the best lines are drawn on top.
  for (const l of [...full].sort((a, b) => a.values[last] - b.values[last])) {
    const pts = l.values.map((v, i) => `${X(i).toFixed(1)},${scales[i](v).toFixed(1)}`).join(' ');
    svg.append(s('a', { href: l.href || '#' }, s('polyline', { points: pts, stroke: shade(l.values[last]), class: 'line' },
      s('title', null, l.label + '\n' + dims.map((d, i) => `${d.label} = ${typeof l.values[i] === 'number' ? fmtNum(l.values[i]) : l.values[i]}`).join('\n')))));
  }
  dims.forEach((d, i) => {
    svg.append(s('line', { x1: X(i), x2: X(i), y1: T, y2: H - B, class: 'axis' }));
    svg.append(s('text', { x: X(i), y: T - 10, 'text-anchor': 'middle', class: 'axis-label' }, d.label + (d.log ? ' (log)' : '')));
    const marks = d.cats ? d.cats : d.log ? [...new Set(full.map((l) => l.values[i]))] : ticks(d.lo, d.hi, 4);
    for (const v of marks) {
      svg.append(s('text', { x: X(i) + 4, y: scales[i](v) + 3, class: 'tick' }, typeof v === 'number' ? fmtNum(v) : v));
    }
  });
  return h('div', { class: 'scatter-box parallel-box' }, svg);
}
