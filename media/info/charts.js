// The INFO view's live charts (loaded with the page's nonce, like info.js).
// Drawn as SVG by hand rather than with a chart library: 5 small line charts of at most
// 300 points each are a few path strings (a redraw takes well under a millisecond), the
// whole script is ~18 KB unminified against ~45 KB minified for uPlot, nothing new is bundled or
// shipped, and nothing here evaluates strings or touches the network (strict CSP kept).
// The extension sends every point once ({type:'point'}), and the whole series when the
// page (re)loads and says it is ready ({type:'points'}), e.g. after it was hidden.
// @ts-check
/* global acquireVsCodeApi, document, window, ResizeObserver, requestAnimationFrame */
(function () {
  const root = document.getElementById('charts');
  if (!root) return;
  // One API object per page (acquireVsCodeApi throws when called twice): shared with info.js.
  const vscode = (window.sharedRedisApi ??= acquireVsCodeApi());
  const SVG = 'http://www.w3.org/2000/svg';
  const HEIGHT = 150;
  const MARGIN = { left: 58, right: 10, top: 10, bottom: 22 };
  /** The shortest time span drawn: a few samples do not stretch over the whole width. */
  const MIN_SPAN_MS = 20_000;
  const COLOURS = 6;

  /** @type {any[]} */
  let points = [];
  let capacity = 300;
  let intervalMs = 2000;

  // Units a person reads at a glance: 1.2k ops/s, 512 MiB, 97.5%.
  /** @param {number} value */
  function short(value) {
    const abs = Math.abs(value);
    const trim = (/** @type {string} */ text) => text.replace(/\.0$/, '');
    if (abs >= 1e9) return trim((value / 1e9).toFixed(1)) + 'G';
    if (abs >= 1e6) return trim((value / 1e6).toFixed(1)) + 'M';
    if (abs >= 1e3) return trim((value / 1e3).toFixed(1)) + 'k';
    if (abs >= 10 || value === 0) return String(Math.round(value));
    return trim(value.toFixed(1));
  }
  /** @param {number} value */
  function bytes(value) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let scaled = value;
    let unit = 0;
    while (Math.abs(scaled) >= 1024 && unit < units.length - 1) {
      scaled /= 1024;
      unit++;
    }
    const text = unit === 0 || scaled >= 10 ? String(Math.round(scaled)) : scaled.toFixed(1).replace(/\.0$/, '');
    return `${text} ${units[unit]}`;
  }
  /** @param {number} ratio */
  function percent(ratio) {
    return (ratio * 100).toFixed(1).replace(/\.0$/, '') + '%';
  }
  /** @param {number} at */
  function clock(at) {
    return new Date(at).toLocaleTimeString([], { hour: 'numeric', minute: '2-digit', second: '2-digit' });
  }
  /** The smallest 1, 2 or 5 × 10^n at or above `value`. @param {number} value */
  function niceCeil(value) {
    if (!(value > 0)) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
    return 10 * power;
  }
  /** The bytes axis in powers of two: 512 MiB rather than 500 MiB. @param {number} value */
  function niceBytes(value) {
    if (!(value > 0)) return 1024;
    const power = Math.pow(1024, Math.floor(Math.log(value) / Math.log(1024)));
    return niceCeil(value / power) * power;
  }

  /**
   * What each chart draws: lines of (number|null) per point, how to format a value, and a
   * note under it for what a line cannot say (no limit, no lookups, a missing right).
   * @typedef {{ label: string, colour: number, value: (p: any) => (number | null) }} Line
   * @typedef {{ id: string, title: string, format: (v: number) => string, axis?: (v: number) => string,
   *   whole?: boolean, lines: () => Line[],
   *   top?: (max: number) => number, threshold?: () => ({ value: number, label: string } | undefined),
   *   note: () => string, empty?: (p: any) => string | undefined }} Chart
   */
  /** @type {Chart[]} */
  const charts = [
    {
      id: 'ops',
      title: 'Operations per second',
      format: (v) => `${short(v)} ops/s`,
      lines: () => [{ label: 'commands', colour: 0, value: (p) => p.opsPerSec }],
      note: () => 'Commands processed per interval ÷ its seconds (INFO total_commands_processed).',
    },
    {
      id: 'memory',
      title: 'Memory used',
      format: bytes,
      top: niceBytes,
      lines: () => [{ label: 'used_memory', colour: 1, value: (p) => p.usedMemory }],
      threshold: () => {
        const last = lastSample();
        return last && last.maxMemory > 0 ? { value: last.maxMemory, label: `maxmemory ${bytes(last.maxMemory)}` } : undefined;
      },
      note: () => {
        const last = lastSample();
        if (!last || last.maxMemory === null) return '';
        return last.maxMemory > 0 ? `maxmemory ${bytes(last.maxMemory)} (dashed line).` : 'maxmemory: no limit.';
      },
    },
    {
      id: 'clients',
      title: 'Connected clients per service',
      format: (v) => `${short(v)} ${v === 1 ? 'client' : 'clients'}`,
      axis: short,
      whole: true,
      top: (max) => Math.max(2, niceCeil(max)),
      lines: () => {
        /** @type {Map<string, number>} */
        const latest = new Map();
        for (const p of points) for (const [name, count] of Object.entries(p.clients ?? {})) latest.set(name, count);
        const last = lastSample();
        const now = (/** @type {string} */ name) => (last && last.clients ? last.clients[name] ?? 0 : latest.get(name) ?? 0);
        return [...latest.keys()]
          .sort((a, b) => now(b) - now(a) || a.localeCompare(b))
          .map((name, index) => ({
            label: name,
            colour: index % COLOURS,
            value: (p) => (p.clients ? p.clients[name] ?? 0 : null),
          }));
      },
      note: () => {
        const last = lastSample();
        return last && last.clientsError ? last.clientsError : 'CLIENT LIST grouped by ACL user: a service user counts for its service.';
      },
      empty: (p) => p.clientsError,
    },
    {
      id: 'hits',
      title: 'Keyspace hit ratio',
      format: percent,
      top: () => 1,
      lines: () => [{ label: 'hits', colour: 2, value: (p) => p.hitRatio }],
      note: () => {
        const last = lastSample();
        if (last && last.lookups === 0) return 'No lookups in the last interval.';
        return 'Hits ÷ (hits + misses) per interval.';
      },
      empty: (p) => (p.lookups === 0 ? 'no lookups' : undefined),
    },
    {
      id: 'keys',
      title: 'Expired and evicted keys per second',
      format: (v) => `${short(v)} keys/s`,
      lines: () => [
        { label: 'expired', colour: 3, value: (p) => p.expiredPerSec },
        { label: 'evicted', colour: 4, value: (p) => p.evictedPerSec },
      ],
      note: () => 'Deltas of expired_keys and evicted_keys.',
    },
  ];

  /** The last point that is a sample rather than a gap. */
  function lastSample() {
    for (let i = points.length - 1; i >= 0; i--) if (!points[i].gap) return points[i];
    return undefined;
  }

  /**
   * @param {string} tag
   * @param {Record<string, string | number>} attributes
   * @param {string} [text]
   */
  function svg(tag, attributes, text) {
    const element = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
    if (text !== undefined) element.textContent = text;
    return element;
  }
  /**
   * @param {string} tag
   * @param {string} className
   * @param {string} [text]
   */
  function html(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined) element.textContent = text;
    return element;
  }

  const status = html('p', 'charts-status');
  status.id = 'charts-status';
  const grid = html('div', 'chart-grid');
  root.replaceChildren(status, grid);
  /** @type {Map<string, { card: HTMLElement, legend: HTMLElement, plot: SVGSVGElement, note: HTMLElement, tip: HTMLElement }>} */
  const cards = new Map();
  for (const chart of charts) {
    const card = html('section', 'card chart');
    card.dataset['chart'] = chart.id;
    const head = html('div', 'chart-head');
    head.append(html('h2', '', chart.title));
    const legend = html('div', 'legend');
    head.append(legend);
    const plot = /** @type {SVGSVGElement} */ (svg('svg', { class: 'plot', height: HEIGHT, role: 'img', 'aria-label': chart.title }));
    const note = html('p', 'chart-note');
    const tip = html('div', 'tooltip');
    tip.hidden = true;
    card.append(head, plot, note, tip);
    grid.append(card);
    cards.set(chart.id, { card, legend, plot, note, tip });
    plot.addEventListener('mousemove', (event) => hover(chart, event));
    plot.addEventListener('mouseleave', () => unhover(chart));
  }

  /** @param {any[]} series */
  function domain(series) {
    const last = series.length > 0 ? series[series.length - 1].at : Date.now();
    const first = series.length > 0 ? series[0].at : last;
    return { from: Math.min(first, last - MIN_SPAN_MS), to: last };
  }

  /** @param {Chart} chart */
  function draw(chart) {
    const parts = cards.get(chart.id);
    if (!parts) return;
    const { plot, legend, note } = parts;
    const width = Math.max(200, Math.round(plot.getBoundingClientRect().width) || 320);
    plot.setAttribute('viewBox', `0 0 ${width} ${HEIGHT}`);
    const lines = chart.lines();
    const threshold = chart.threshold ? chart.threshold() : undefined;
    let max = threshold ? threshold.value : 0;
    for (const line of lines) {
      for (const p of points) {
        const v = line.value(p);
        if (v !== null && v > max) max = v;
      }
    }
    const top = chart.top ? chart.top(max) : niceCeil(max);
    const { from, to } = domain(points);
    const innerW = width - MARGIN.left - MARGIN.right;
    const innerH = HEIGHT - MARGIN.top - MARGIN.bottom;
    const x = (/** @type {number} */ at) => MARGIN.left + ((at - from) / Math.max(1, to - from)) * innerW;
    const y = (/** @type {number} */ v) => MARGIN.top + innerH - (Math.min(v, top) / top) * innerH;
    /** @type {Element[]} */
    const children = [];
    // Grid and the value axis: 0, half, top (no half a client).
    for (const fraction of [0, 0.5, 1]) {
      const value = top * fraction;
      if (chart.whole && !Number.isInteger(value)) continue;
      const yy = y(value);
      children.push(svg('line', { class: 'grid', x1: MARGIN.left, x2: width - MARGIN.right, y1: yy, y2: yy }));
      children.push(svg('text', { class: 'axis', x: MARGIN.left - 6, y: yy + 4, 'text-anchor': 'end' }, (chart.axis ?? chart.format)(value)));
    }
    // The time axis: the span's two ends.
    children.push(svg('text', { class: 'axis', x: MARGIN.left, y: HEIGHT - 6, 'text-anchor': 'start' }, clock(from)));
    children.push(svg('text', { class: 'axis', x: width - MARGIN.right, y: HEIGHT - 6, 'text-anchor': 'end' }, clock(to)));
    // Gaps: where no sample could be taken, shaded from the sample before to the one after.
    for (let i = 0; i < points.length; i++) {
      if (!points[i].gap) continue;
      const start = i > 0 ? points[i - 1].at : points[i].at;
      let end = i;
      while (end + 1 < points.length && points[end + 1].gap) end++;
      const stop = end + 1 < points.length ? points[end + 1].at : points[end].at;
      const gap = svg('rect', { class: 'gap', x: x(start), y: MARGIN.top, width: Math.max(2, x(stop) - x(start)), height: innerH });
      gap.append(svg('title', {}, points[end].gap));
      children.push(gap);
      i = end;
    }
    if (threshold) {
      const yy = y(threshold.value);
      children.push(svg('line', { class: 'threshold', x1: MARGIN.left, x2: width - MARGIN.right, y1: yy, y2: yy }));
      children.push(svg('text', { class: 'axis threshold-label', x: width - MARGIN.right, y: yy - 4, 'text-anchor': 'end' }, threshold.label));
    }
    // Each line: a path that lifts the pen at a null, a gap or a restart (never bridges one).
    for (const line of lines) {
      let d = '';
      let penDown = false;
      for (const p of points) {
        const v = line.value(p);
        if (v === null || p.restart === 'counters reset' || p.restart === 'resumed') penDown = false;
        if (v === null) continue;
        const px = x(p.at).toFixed(1);
        const py = y(v).toFixed(1);
        // A lone point is drawn as a dot (a zero-length segment with round caps).
        d += penDown ? ` L${px} ${py}` : ` M${px} ${py} l0.01 0`;
        penDown = true;
      }
      if (d) children.push(svg('path', { class: `line series-${line.colour}`, d: d.trim() }));
    }
    const cursor = svg('line', { class: 'cursor', x1: 0, x2: 0, y1: MARGIN.top, y2: MARGIN.top + innerH, visibility: 'hidden' });
    children.push(cursor);
    plot.replaceChildren(...children);
    // The legend: each line's colour, name and latest value.
    const last = lastSample();
    legend.replaceChildren(
      ...lines.map((line) => {
        const item = html('span', 'legend-item');
        item.append(html('span', `swatch series-${line.colour}`));
        const v = last ? line.value(last) : null;
        item.append(document.createTextNode(`${line.label} ${v === null ? '—' : chart.format(v)}`));
        return item;
      }),
    );
    note.textContent = chart.note();
    parts.card.dataset['geometry'] = JSON.stringify({ from, to, width, left: MARGIN.left, right: MARGIN.right });
  }

  /** @param {Chart} chart @param {MouseEvent} event */
  function hover(chart, event) {
    const parts = cards.get(chart.id);
    if (!parts || points.length === 0) return;
    const { plot, tip, card } = parts;
    const box = plot.getBoundingClientRect();
    const width = box.width || 1;
    const { from, to } = domain(points);
    const innerW = width - MARGIN.left - MARGIN.right;
    const at = from + ((event.clientX - box.left - MARGIN.left) / innerW) * (to - from);
    let nearest = points[0];
    for (const p of points) if (Math.abs(p.at - at) < Math.abs(nearest.at - at)) nearest = p;
    const cx = MARGIN.left + ((nearest.at - from) / Math.max(1, to - from)) * innerW;
    const cursor = plot.querySelector('.cursor');
    if (cursor) {
      cursor.setAttribute('x1', String(cx));
      cursor.setAttribute('x2', String(cx));
      cursor.setAttribute('visibility', 'visible');
    }
    const rows = [html('div', 'tooltip-time', clock(nearest.at))];
    if (nearest.gap) {
      rows.push(html('div', 'tooltip-gap', `No sample: ${nearest.gap}`));
    } else {
      const why = chart.empty ? chart.empty(nearest) : undefined;
      const lines = chart.lines();
      if (why) rows.push(html('div', 'tooltip-gap', why));
      for (const line of lines) {
        const v = line.value(nearest);
        if (v === null && why) continue;
        const row = html('div', 'tooltip-row');
        row.append(html('span', `swatch series-${line.colour}`), document.createTextNode(`${line.label}: ${v === null ? '—' : chart.format(v)}`));
        rows.push(row);
      }
      if (nearest.restart === 'counters reset') rows.push(html('div', 'tooltip-gap', 'Counters reset (restart or CONFIG RESETSTAT)'));
    }
    tip.replaceChildren(...rows);
    tip.hidden = false;
    // Beside the cursor, inside the card.
    const cardBox = card.getBoundingClientRect();
    const left = box.left - cardBox.left + cx + 12;
    const fits = left + tip.offsetWidth < cardBox.width - 4;
    tip.style.left = `${fits ? left : Math.max(4, left - tip.offsetWidth - 24)}px`;
    tip.style.top = `${box.top - cardBox.top + 8}px`;
  }

  /** @param {Chart} chart */
  function unhover(chart) {
    const parts = cards.get(chart.id);
    if (!parts) return;
    parts.tip.hidden = true;
    parts.plot.querySelector('.cursor')?.setAttribute('visibility', 'hidden');
  }

  function drawStatus() {
    const last = points[points.length - 1];
    if (!last) {
      status.textContent = `Sampling every ${intervalMs / 1000} s while this page is visible…`;
      status.classList.remove('failing');
      return;
    }
    if (last.gap) {
      let first = points.length - 1;
      while (first > 0 && points[first - 1].gap) first--;
      status.textContent = `No sample since ${clock(points[first].at)}: ${last.gap} Trying again every ${intervalMs / 1000} s.`;
      status.classList.add('failing');
      return;
    }
    const minutes = Math.round((capacity * intervalMs) / 60_000);
    status.textContent = `Sampled every ${intervalMs / 1000} s while this page is visible (the last ${minutes} minutes are kept) · last sample ${clock(last.at)}`;
    status.classList.remove('failing');
  }

  let scheduled = false;
  function redraw() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      drawStatus();
      for (const chart of charts) draw(chart);
    });
  }

  window.addEventListener('message', (event) => {
    const message = event.data;
    if (!message || typeof message !== 'object') return;
    if (message.type === 'points' && Array.isArray(message.points)) {
      points = message.points.slice();
      if (typeof message.capacity === 'number') capacity = message.capacity;
      if (typeof message.intervalMs === 'number') intervalMs = message.intervalMs;
      redraw();
    } else if (message.type === 'point' && message.point) {
      points.push(message.point);
      if (points.length > capacity) points.splice(0, points.length - capacity);
      redraw();
    }
  });
  new ResizeObserver(redraw).observe(root);
  drawStatus();
  // Ask for the series held so far: this page may be a reload (shown again, a refresh, a restored window).
  vscode.postMessage({ type: 'chartsReady' });
})();
