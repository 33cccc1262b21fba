// Usage: a tenant overview of the busiest app tokens and a chart of one
// app token's requests by hour or day (GET /usage, GET
// /app_tokens/{token}/usage). Drawn by hand in SVG: its colours come from
// the stylesheet (classes, no inline styles: the page's CSP), so dark mode
// follows prefers-color-scheme, and it scales to the screen's width.

import { get, seg } from './api.js';
import { $, h, viewError, clearViewError, setBusy } from './ui.js';
import { can } from './state.js';

const section = () => $('#view-usage');
const NS = 'http://www.w3.org/2000/svg';
const OUTCOMES = [['ok', 'OK'], ['denied', 'Denied'], ['rate_limited', 'Rate limited']];
const DAY = 86400e3;
// The periods offered, with the width of a point.
const PERIODS = {
  '24h': { ms: DAY, granularity: 'hour' },
  '7d': { ms: 7 * DAY, granularity: 'hour' },
  '30d': { ms: 30 * DAY, granularity: 'day' },
  '90d': { ms: 90 * DAY, granularity: 'day' },
};

let selected = null; // the app token id whose chart is shown
let names = new Map(); // app token id → name

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) if (c) el.append(c);
  return el;
}

const total = (p) => OUTCOMES.reduce((n, [k]) => n + (p[k] || 0), 0);
const fmt = new Intl.NumberFormat();
const hourFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric' });
const dayFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const label = (iso, granularity) => (granularity === 'day' ? dayFmt : hourFmt).format(new Date(iso));
const nameOf = (id) => names.get(id) || (names.has(id) ? '(no name)' : '(deleted app token)');

function legend(sums) {
  return h('ul', { class: 'chart-legend' }, OUTCOMES.map(([k, text]) =>
    h('li', {}, svg('svg', { viewBox: '0 0 10 10', class: 'chart-key', 'aria-hidden': 'true' }, svg('rect', { width: 10, height: 10, rx: 2, class: `u-${k}` })),
      ` ${text} `, h('strong', {}, fmt.format(sums[k] || 0)))));
}

// columnChart draws series as stacked columns, one per point.
function columnChart(series, granularity) {
  const W = 600, H = 180;
  const max = Math.max(1, ...series.map(total));
  const bw = W / series.length;
  const gap = bw >= 4 ? bw * 0.2 : 0;
  const sums = { ok: 0, denied: 0, rate_limited: 0 };
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', class: 'chart-svg', 'aria-hidden': 'true' },
    svg('line', { x1: 0, y1: 0.5, x2: W, y2: 0.5, class: 'chart-grid' }),
    svg('line', { x1: 0, y1: H / 2, x2: W, y2: H / 2, class: 'chart-grid' }),
    svg('line', { x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5, class: 'chart-axis' }));
  series.forEach((p, i) => {
    let y = H;
    const tip = `${label(p.start, granularity)}: ${OUTCOMES.map(([k, t]) => `${t.toLowerCase()} ${fmt.format(p[k] || 0)}`).join(', ')}`;
    const g = svg('g', {}, svg('title', {}, tip));
    for (const [k] of OUTCOMES) {
      sums[k] += p[k] || 0;
      if (!p[k]) continue;
      const hgt = (p[k] / max) * (H - 2);
      y -= hgt;
      g.append(svg('rect', { x: i * bw + gap / 2, y, width: Math.max(bw - gap, 0.5), height: hgt, class: `u-${k}` }));
    }
    chart.append(g);
  });
  const first = series[0], last = series[series.length - 1];
  const per = granularity === 'day' ? 'day' : 'hour';
  const summary = `${fmt.format(total(sums))} requests from ${label(first.start, granularity)} to ${label(last.start, granularity)}: ` +
    OUTCOMES.map(([k, t]) => `${fmt.format(sums[k])} ${t.toLowerCase()}`).join(', ') + `; at most ${fmt.format(max)} in one ${per}.`;
  return h('figure', { class: 'chart', role: 'img', 'aria-label': summary, 'data-total': total(sums) },
    h('div', { class: 'chart-y muted' }, `${fmt.format(max)} per ${per}`),
    chart,
    h('div', { class: 'chart-x muted' }, h('span', {}, label(first.start, granularity)), h('span', {}, label(last.start, granularity))),
    h('figcaption', {}, legend(sums)));
}

// ranking draws the busiest app tokens as stacked bars, each a button
// that shows its chart.
function ranking(items) {
  if (!items.length) return h('p', { class: 'muted' }, 'No requests in this period.');
  const max = Math.max(1, ...items.map(total));
  return h('ol', { class: 'usage-top' }, items.map((it) => {
    let x = 0;
    const bar = svg('svg', { viewBox: '0 0 100 8', preserveAspectRatio: 'none', class: 'usage-bar', 'aria-hidden': 'true' });
    for (const [k] of OUTCOMES) {
      const w = ((it[k] || 0) / max) * 100;
      if (w > 0) bar.append(svg('rect', { x, y: 0, width: w, height: 8, class: `u-${k}` }));
      x += w;
    }
    const name = it.name || nameOf(it.app_token_id);
    return h('li', {}, h('button', {
      type: 'button', class: 'usage-row', 'data-id': it.app_token_id, 'aria-pressed': String(it.app_token_id === selected),
      'aria-label': `${name}: ${fmt.format(total(it))} requests (${OUTCOMES.map(([k, t]) => `${fmt.format(it[k] || 0)} ${t.toLowerCase()}`).join(', ')}). Show its chart.`,
      onclick: () => { location.hash = `#/usage/${it.app_token_id}`; },
    }, h('span', { class: 'usage-name' }, name), h('span', { class: 'usage-count' }, fmt.format(total(it))), bar));
  }));
}

function range() {
  const p = PERIODS[$('#usage-period').value] || PERIODS['24h'];
  const until = new Date();
  return { since: new Date(until.getTime() - p.ms).toISOString(), until: until.toISOString(), granularity: p.granularity };
}

async function load() {
  const view = section();
  clearViewError(view);
  const box = $('#usage-charts');
  setBusy(box, true);
  try {
    const m = /^#\/usage\/([0-9a-f]{24})/.exec(location.hash);
    const r = range();
    const [tokens, top] = await Promise.all([
      get('/app_tokens', { limit: 100 }),
      get('/usage', { since: r.since, until: r.until, limit: 10 }),
    ]);
    names = new Map((tokens.items || []).map((t) => [t.id, t.name]));
    const items = top.items || [];
    selected = m ? m[1] : (selected && names.has(selected) ? selected : (items[0]?.app_token_id || tokens.items?.[0]?.id || null));
    const select = $('#usage-token');
    const ids = [...names.keys()];
    if (selected && !names.has(selected)) ids.unshift(selected);
    select.replaceChildren(...ids.map((id) => h('option', { value: id, selected: id === selected }, nameOf(id))));
    $('#usage-top').replaceChildren(ranking(items));
    const chartBox = $('#usage-chart');
    if (!selected) {
      chartBox.replaceChildren(h('p', { class: 'muted' }, 'No app tokens yet.'));
      return;
    }
    $('#usage-chart-title').textContent = `Requests of ${nameOf(selected)}`;
    const s = await get(`/app_tokens/${seg(selected)}/usage`, r);
    chartBox.replaceChildren(columnChart(s.series || [], r.granularity));
  } catch (err) {
    viewError(view, err);
  } finally {
    setBusy(box, false);
  }
}

export default {
  id: 'usage',
  title: 'Usage',
  allowed: () => can('readUsage'),
  init() {
    $('#usage-period').addEventListener('change', () => load());
    $('#usage-token').addEventListener('change', (ev) => { location.hash = `#/usage/${ev.target.value}`; });
  },
  show: () => load(),
};
