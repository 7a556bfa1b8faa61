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

// Reference and current colours of drift histograms.
export const refColor = '#4c78a8';
export const curColor = '#f58518';

// histogram draws, bin by bin, the reference's share of rows (left bar)
// against the current window's (right bar); labels name the bins.
export function histogram(feature, labels, ref, cur) {
  const n = Math.max(labels.length, ref.length, cur.length);
  if (!n) return h('p', { class: 'muted' }, 'No bins.');
  const total = (xs) => xs.reduce((a, b) => a + Number(b || 0), 0) || 1;
  const rt = total(ref), ct = total(cur);
  const rs = Array.from({ length: n }, (_, i) => Number(ref[i] || 0) / rt);
  const cs = Array.from({ length: n }, (_, i) => Number(cur[i] || 0) / ct);
  const top = Math.max(...rs, ...cs, 0.01);
  const W = 360, H = 180, L = 40, R = 8, T = 20, B = 30;
  const bw = (W - L - R) / n;
  const Y = (v) => H - B - (v / top) * (H - T - B);
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'histogram', role: 'img',
    'aria-label': `${feature}: reference against current, share of rows per bin` });
  for (const v of ticks(0, top, 3)) {
    svg.append(s('line', { x1: L, x2: W - R, y1: Y(v), y2: Y(v), class: 'grid' }));
    svg.append(s('text', { x: L - 4, y: Y(v) + 3, 'text-anchor': 'end' }, Math.round(v * 100) + '%'));
  }
  const every = Math.ceil(n / 6); // label at most about six bins
  for (let i = 0; i < n; i++) {
    const x = L + i * bw;
    const tip = `${labels[i] ?? 'bin ' + (i + 1)}\nreference ${(rs[i] * 100).toFixed(1)}% (${ref[i] || 0})\ncurrent ${(cs[i] * 100).toFixed(1)}% (${cur[i] || 0})`;
    const g = s('g', null, s('title', null, tip),
      s('rect', { x: x + bw * 0.1, y: Y(rs[i]), width: bw * 0.4, height: H - B - Y(rs[i]), fill: refColor }),
      s('rect', { x: x + bw * 0.5, y: Y(cs[i]), width: bw * 0.4, height: H - B - Y(cs[i]), fill: curColor }));
    svg.append(g);
    if (i % every === 0) {
      const text = String(labels[i] ?? '');
      svg.append(s('text', { x: x + bw / 2, y: H - B + 12, 'text-anchor': 'middle' }, text.length > 12 ? text.slice(0, 11) + '…' : text));
    }
  }
  svg.append(s('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'frame' }));
  svg.append(s('rect', { x: L, y: 4, width: 10, height: 10, fill: refColor }), s('text', { x: L + 14, y: 13 }, 'reference'),
    s('rect', { x: L + 84, y: 4, width: 10, height: 10, fill: curColor }), s('text', { x: L + 98, y: 13 }, 'current'));
  return svg;
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

// sparkline draws one statistic over time, small: points [{x, y}] joined
// by a line, with dashed threshold lines [{y, label, cls}], y from 0, and
// x written by fmtX.
export function sparkline(label, points, lines, fmtX = fmtNum) {
  const pts = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const W = 360, H = 84, L = 40, R = 8, T = 14, B = 16;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'sparkline', role: 'img', 'aria-label': label });
  svg.append(s('text', { x: L, y: 10, class: 'spark-label' }, label));
  if (!pts.length) return svg;
  const top = Math.max(...pts.map((p) => p.y), ...lines.map((l) => l.y * 1.25), 1e-9);
  let [x0, x1] = [Math.min(...pts.map((p) => p.x)), Math.max(...pts.map((p) => p.x))];
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  const X = (v) => L + ((v - x0) / (x1 - x0)) * (W - L - R);
  const Y = (v) => H - B - (v / top) * (H - T - B);
  svg.append(s('line', { x1: L, x2: W - R, y1: H - B, y2: H - B, class: 'frame' }));
  svg.append(s('text', { x: L - 4, y: T + 4, 'text-anchor': 'end' }, fmtNum(Number(top.toPrecision(2)))));
  svg.append(s('text', { x: L - 4, y: H - B + 3, 'text-anchor': 'end' }, '0'));
  for (const l of lines) {
    svg.append(s('line', { x1: L, x2: W - R, y1: Y(l.y), y2: Y(l.y), class: 'threshold ' + (l.cls || '') }, s('title', null, l.label)));
  }
  svg.append(s('polyline', { points: pts.map((p) => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' '), class: 'spark' }));
  for (const p of pts) {
    svg.append(s('circle', { cx: X(p.x), cy: Y(p.y), r: 2.5, class: 'spark' }, s('title', null, `${fmtX(p.x)}: ${fmtNum(p.y)}`)));
  }
  svg.append(s('text', { x: L, y: H - 3 }, fmtX(x0)), s('text', { x: W - R, y: H - 3, 'text-anchor': 'end' }, fmtX(x1)));
  return svg;
}
