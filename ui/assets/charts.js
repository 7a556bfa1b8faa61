// Charts: metric histories drawn with uPlot (vendor/uPlot.iife.min.js, a
// global), and a small SVG scatter for parameter sweeps.
import { h, fmtNum } from './dom.js';

export const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
export const color = (i) => palette[i % palette.length];

// X axes a history chart can use.
export const axes = {
  step: { label: 'step', time: false, x: (m) => Number(m.step) },
  relative: { label: 'seconds since the run started', time: false, x: (m, start) => (Number(m.timestamp) - start) / 1000 },
  wall: { label: 'time', time: true, x: (m) => Number(m.timestamp) / 1000 },
};

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
  const opts = {
    title,
    width: 400,
    height: 220,
    scales: { x: { time: ax.time } },
    series: [{ label: ax.label, value: ax.time ? undefined : (u, v) => (v == null ? '' : fmtNum(v)) },
      ...series.map((s, i) => ({ label: s.label, stroke: color(i), width: 1.5, spanGaps: true,
        points: { show: !many }, value: (u, v) => (v == null ? '' : fmtNum(v)) }))],
    axes: [{ label: ax.time ? undefined : ax.label, size: 40 }, { size: 60, values: (u, vals) => vals.map(fmtNum) }],
    legend: { live: true },
  };
  // Draw at a first guess of the width now, then follow the box's width
  // once it is in the page and whenever it changes.
  const plot = new uPlot(opts, data, box);
  const ro = new ResizeObserver(() => requestAnimationFrame(() => {
    if (!box.isConnected) return; // not in the page yet
    const w = Math.max(240, Math.floor(box.clientWidth) - 8);
    if (plot.width !== w) plot.setSize({ width: w, height: opts.height });
  }));
  ro.observe(box);
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
  let [x0, x1] = xCats ? [-0.5, xCats.length - 0.5] : [Math.min(...pts.map((p) => p.x)), Math.max(...pts.map((p) => p.x))];
  let [y0, y1] = [Math.min(...pts.map((p) => p.y)), Math.max(...pts.map((p) => p.y))];
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { y0 -= 1; y1 += 1; }
  const padY = (y1 - y0) * 0.05, padX = xCats ? 0 : (x1 - x0) * 0.05;
  y0 -= padY; y1 += padY; x0 -= padX; x1 += padX;
  const X = (v) => L + ((v - x0) / (x1 - x0)) * (W - L - R);
  const Y = (v) => H - B - ((v - y0) / (y1 - y0)) * (H - T - B);
  svg.append(s('rect', { x: L, y: T, width: W - L - R, height: H - T - B, class: 'frame' }));
  for (const v of ticks(y0, y1, 4)) {
    svg.append(s('line', { x1: L, x2: W - R, y1: Y(v), y2: Y(v), class: 'grid' }));
    svg.append(s('text', { x: L - 6, y: Y(v) + 4, 'text-anchor': 'end' }, fmtNum(v)));
  }
  const xt = xCats ? xCats.map((_, i) => i) : ticks(x0, x1, 5);
  for (const v of xt) {
    svg.append(s('text', { x: X(v), y: H - B + 16, 'text-anchor': 'middle' }, xCats ? xCats[v] : fmtNum(v)));
  }
  svg.append(s('text', { x: (L + W - R) / 2, y: H - 8, 'text-anchor': 'middle', class: 'axis-label' }, xLabel));
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
