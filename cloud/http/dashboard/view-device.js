// The device page of the fleetlet dashboard: what the device is and runs (modules with their metrics), a uPlot plot
// per telemetry metric over the last hour, its recent events and module logs, its tags, and Retire.

import { command, confirmAction, get } from './api.js';
import { agoEl, badge, bytes, fill, h, num, onlineDot, stamp, table } from './dom.js';

/** How far back the plots reach. */
export const PLOT_WINDOW_MS = 60 * 60 * 1000;
/** How many of the device's newest events the page lists. */
export const EVENTS_SHOWN = 20;
const WASM_PAGE = 65_536;

export function deviceView(ctx, id) {
  let seq = 0;
  let shownDetail = '';
  let shownLogs = '';
  let shownEvents = '';
  let tagsLoaded = false;
  let retired = false;
  const path = `/api/devices/${encodeURIComponent(id)}`;
  const plots = new Plots(id);

  const info = h('div', { class: 'summary' });
  const modules = h('section', { 'aria-label': 'Modules' });
  const logs = h('section', { class: 'logs', 'aria-label': 'Module logs' });
  const events = h('section', { 'aria-label': 'Events' });
  const tagsInput = h('input', { type: 'text', name: 'tags', 'aria-label': 'Tags (comma separated)', placeholder: 'site:berlin, lab' });
  const tagsForm = h('form', { class: 'filter', onsubmit: (e) => { e.preventDefault(); saveTags(); } },
    tagsInput, h('button', { type: 'submit' }, 'Save tags'));
  const retire = h('button', { type: 'button', class: 'danger', disabled: true, onclick: () => doRetire() }, 'Retire device');

  const el = h('section', { class: 'device' },
    h('p', {}, h('a', { href: '#/' }, '← Fleet')),
    h('h1', {}, 'Device ', h('span', { class: 'id' }, id)),
    info,
    h('div', { class: 'commands' }, tagsForm, retire),
    h('h2', {}, 'Modules'), modules,
    h('h2', {}, 'Telemetry'), plots.el,
    h('h2', {}, 'Recent events'), events,
    h('h2', {}, 'Recent logs'), logs);

  async function saveTags() {
    ctx.clearMessage();
    const tags = tagsInput.value.split(',').map((t) => t.trim()).filter((t) => t !== '');
    try {
      const d = await command('PUT', `${path}/tags`, { tags });
      seq++;
      renderDetail(d);
    } catch (e) {
      ctx.showError(e);
    }
  }

  async function doRetire() {
    ctx.clearMessage();
    const ok = await confirmAction({
      title: `Retire ${id}?`,
      text: `The device "${id}" loses its broker login at once, is disconnected and its desired state is cleared. This can not be undone.`,
      ok: 'Retire',
    });
    if (ok === null) return;
    try {
      const d = await command('POST', `${path}/retire`);
      seq++;
      renderDetail(d);
    } catch (e) {
      ctx.showError(e);
    }
  }

  async function refresh() {
    const my = ++seq;
    const [d, l, e] = await Promise.all([get(path), get(`${path}/logs`), get('/api/events', { deviceId: id, limit: EVENTS_SHOWN }), plots.refresh()]);
    if (my !== seq) return;
    renderDetail(d);
    renderLogs(l.items);
    renderEvents(e.items);
  }

  function renderDetail(d) {
    const key = JSON.stringify(d);
    if (key === shownDetail) return;
    shownDetail = key;
    retired = d.retired;
    retire.disabled = retired;
    if (!tagsLoaded || document.activeElement !== tagsInput) tagsInput.value = d.tags.join(', ');
    tagsLoaded = true;
    fill(info, h('dl', {},
      h('dt', {}, 'Status'), h('dd', {}, onlineDot(d.online), d.online ? ' online' : ' offline', d.retired ? ' · retired' : ''),
      h('dt', {}, 'Class'), h('dd', {}, d.deviceClass),
      h('dt', {}, 'Tags'), h('dd', {}, d.tags.length === 0 ? h('span', { class: 'muted' }, 'none') : d.tags.map((t) => h('span', { class: 'tag' }, t))),
      h('dt', {}, 'Enrollment'), h('dd', {}, badge(d.enrollment)),
      h('dt', {}, 'Agent'), h('dd', {}, d.agentVersion ?? '–'),
      h('dt', {}, 'Last seen'), h('dd', {}, agoEl(d.lastSeenMs)),
      h('dt', {}, 'Enrolled'), h('dd', {}, stamp(d.createdAtMs)),
      d.retiredAtMs !== undefined ? [h('dt', {}, 'Retired'), h('dd', {}, stamp(d.retiredAtMs))] : null,
      d.desired ? [h('dt', {}, 'Desired state'), h('dd', {}, `sequence ${d.desired.sequence}: `,
        d.desired.modules.map((m) => `${m.name}${m.version ? ` ${m.version}` : ''}`).join(', ') || 'no module')] : null,
      d.publicKey ? [h('dt', {}, 'Public key'), h('dd', {}, h('code', { class: 'key' }, d.publicKey))] : null));
    const rows = d.moduleDetails.map((m) => h('tr', { dataset: { module: m.name } },
      h('td', {}, m.name),
      h('td', {}, m.version),
      h('td', {}, m.state),
      h('td', {}, badge(m.health)),
      h('td', { class: 'n' }, num(m.fuelPerTick)),
      h('td', { class: 'n' }, m.memoryHighWater === undefined ? '–' : `${m.memoryHighWater} ${m.memoryHighWater === 1 ? 'page' : 'pages'} (${bytes(m.memoryHighWater * WASM_PAGE)})`),
      h('td', { class: 'n' }, num(m.traps)),
      h('td', {}, agoEl(m.updatedAtMs))));
    fill(modules, table('Modules', ['Module', 'Version', 'State', 'Health', 'Fuel per tick', 'Memory high-water', 'Traps', 'Reported'], rows, 'No module reported'));
  }

  function renderLogs(lines) {
    const key = JSON.stringify(lines);
    if (key === shownLogs) return;
    shownLogs = key;
    fill(logs, lines.length === 0 ? h('p', { class: 'muted' }, 'No log line yet')
      : h('ol', { class: 'log-lines', 'aria-label': 'Log lines' }, lines.map((l) => h('li', {}, h('span', { class: 'module-name' }, l.module), ' ', h('span', { class: 'line' }, l.line)))));
  }

  function renderEvents(items) {
    const key = JSON.stringify(items);
    if (key === shownEvents) return;
    shownEvents = key;
    const rows = items.map((ev) => {
      const data = ev.data !== null && typeof ev.data === 'object' ? ev.data : {};
      const text = (k) => (typeof data[k] === 'string' ? data[k] : '');
      return h('tr', {},
        h('td', {}, h('time', { datetime: new Date(ev.atMs).toISOString() }, stamp(ev.atMs))),
        h('td', {}, h('code', {}, ev.kind)),
        h('td', {}, text('severity') === '' ? '' : badge(text('severity'))),
        h('td', {}, text('module')),
        h('td', {}, text('code') === '' ? '' : h('code', {}, text('code'))),
        h('td', {}, text('message')));
    });
    fill(events, table('Events', ['Time', 'Event', 'Severity', 'Module', 'Code', 'Message'], rows, 'No event yet'));
  }

  return { el, title: `Device ${id}`, refresh, dispose: () => plots.dispose() };
}

/**
 * One uPlot plot per module metric. The first refresh reads the last hour; later ones read only what came since the
 * newest point held (the API's `fromMs` is inclusive, so the newest instant is read again and de-duplicated).
 */
class Plots {
  constructor(deviceId) {
    this.path = `/api/devices/${encodeURIComponent(deviceId)}/telemetry`;
    this.el = h('div', { class: 'plots' }, h('p', { class: 'muted' }, 'No telemetry yet'));
    /** key "module/metric" -> { points: Map<atMs, value>, plot, figure } */
    this.series = new Map();
    this.newestMs = undefined;
    this.onResize = () => { for (const s of this.series.values()) if (s.plot !== null) s.plot.setSize(this.size(s.target)); };
    window.addEventListener('resize', this.onResize);
  }

  async refresh() {
    const now = Date.now();
    const fromMs = this.newestMs ?? now - PLOT_WINDOW_MS;
    const points = [];
    let cursor;
    for (let i = 0; i < 10; i++) {
      const page = await get(this.path, { fromMs, limit: 1000, cursor });
      points.push(...page.items);
      if (page.next === undefined) break;
      cursor = page.next;
    }
    let changed = false;
    for (const p of points) {
      const key = `${p.module}/${p.metric}`;
      let s = this.series.get(key);
      if (s === undefined) {
        s = { module: p.module, metric: p.metric, points: new Map(), plot: null, figure: null, target: null };
        this.series.set(key, s);
      }
      if (s.points.get(p.atMs) !== p.value) {
        s.points.set(p.atMs, p.value);
        changed = true;
      }
      if (this.newestMs === undefined || p.atMs > this.newestMs) this.newestMs = p.atMs;
    }
    const oldest = now - PLOT_WINDOW_MS;
    for (const s of this.series.values()) {
      for (const at of s.points.keys()) if (at < oldest) { s.points.delete(at); changed = true; }
    }
    if (changed || this.series.size > 0 && this.el.querySelector('figure') === null) this.draw();
  }

  /** A plot as wide as its frame (the grid gives each figure a column); 200 px high. */
  size(target) {
    return { width: Math.max(200, Math.min(1000, target.clientWidth || 360)), height: 200 };
  }

  draw() {
    if (typeof globalThis.uPlot !== 'function') {
      fill(this.el, h('p', { class: 'muted' }, 'Plots are unavailable: uPlot did not load'));
      return;
    }
    if (this.el.querySelector('figure') === null) this.el.replaceChildren();
    for (const key of [...this.series.keys()].sort()) {
      const s = this.series.get(key);
      const at = [...s.points.keys()].sort((a, b) => a - b);
      const data = [at.map((ms) => ms / 1000), at.map((ms) => s.points.get(ms))];
      const label = `${s.metric} of ${s.module}`;
      if (s.plot === null) {
        const target = h('div', { class: 'plot' });
        s.target = target;
        s.figure = h('figure', { 'aria-label': `Plot of ${label}`, dataset: { module: s.module, metric: s.metric } },
          h('figcaption', {}, h('span', { class: 'module-name' }, s.module), ' ', s.metric), target);
        this.el.append(s.figure);
        s.plot = new globalThis.uPlot({
          ...this.size(target),
          series: [{}, { label: s.metric, stroke: '#1f6feb', width: 2, points: { show: at.length < 60 } }],
          scales: { x: { time: true } },
          axes: [{}, { size: 60 }],
          legend: { show: true },
        }, data, target);
      } else {
        s.plot.setData(data);
      }
      s.figure.dataset.points = String(at.length);
    }
  }

  dispose() {
    window.removeEventListener('resize', this.onResize);
    for (const s of this.series.values()) s.plot?.destroy();
  }
}
