// DOM and formatting helpers for the fleetlet dashboard: every text the API returns goes in through textContent or an
// attribute, never as HTML, so a device name or a log line can not inject markup.

/**
 * Builds an element. `props`: `class`, `on<event>` listeners, `dataset`, `style` (an object, set through the CSSOM
 * so a strict content security policy allows it), `text`, and any other attribute (false,
 * null and undefined leave it out; true sets it empty). Children: nodes, strings, numbers, arrays of them.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'style' && typeof value === 'object') Object.assign(el.style, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** "12 s ago", "3 min ago", "2 h ago", "4 d ago"; "never" without a time. */
export function ago(ms, nowMs = Date.now()) {
  if (typeof ms !== 'number') return 'never';
  const s = Math.max(0, Math.round((nowMs - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** A <time> element whose "… ago" text the page's ticker keeps current. */
export function agoEl(ms) {
  if (typeof ms !== 'number') return h('span', { class: 'muted' }, 'never');
  return h('time', { datetime: new Date(ms).toISOString(), title: stamp(ms), dataset: { agoMs: String(ms) } }, ago(ms));
}

/** Rewrites every "… ago" under `root`. */
export function tickAgo(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll('[data-ago-ms]')) {
    const text = ago(Number(el.dataset.agoMs), now);
    if (el.textContent !== text) el.textContent = text;
  }
}

/** "2026-11-25 17:49:38" in the browser's time zone. */
export function stamp(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** "1.5 KiB", "2 MiB". */
export function bytes(n) {
  if (typeof n !== 'number') return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${trim(n / 1024)} KiB`;
  return `${trim(n / (1024 * 1024))} MiB`;
}

/** A number with thousands separators, or a dash. */
export function num(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : '–';
}

function trim(x) {
  return x >= 10 ? String(Math.round(x)) : x.toFixed(1).replace(/\.0$/, '');
}

/** A table with a header row, wrapped so it scrolls sideways on a narrow screen. */
export function table(label, headers, rows, empty = 'Nothing to show') {
  const body = rows.length === 0 ? [h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, empty))] : rows;
  return h('div', { class: 'table-wrap' },
    h('table', { 'aria-label': label },
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, body)));
}

/** A health or state word as a coloured badge. */
export function badge(word) {
  return h('span', { class: `badge badge-${String(word).replace(/[^a-z0-9-]/gi, '')}` }, word);
}

/** The online dot, with its word for screen readers and tests. */
export function onlineDot(online) {
  return h('span', { class: online ? 'dot on' : 'dot off', role: 'img', 'aria-label': online ? 'online' : 'offline', title: online ? 'online' : 'offline' });
}
