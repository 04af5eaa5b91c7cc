// The fleet page of the fleetlet dashboard: the overview counts, versions per app and health, and the paged device
// table (id, class, tags, online dot, agent version, each module's version and health, last seen).

import { get } from './api.js';
import { agoEl, badge, fill, h, num, onlineDot, table } from './dom.js';

export const DEVICE_PAGE_SIZE = 50;

export function fleetView(ctx) {
  let seq = 0;
  let shown = '';
  // Cursors of the pages before the one shown (for "Previous page"); the one shown; the next one.
  const before = [];
  let cursor;
  let next;
  // The filter in force (the form's fields apply when submitted, not while typed).
  let filterTag = '';

  const overview = h('section', { class: 'overview', 'aria-label': 'Fleet overview' });
  const breakdown = h('div', { class: 'breakdown' });
  const tag = h('input', { type: 'search', name: 'tag', placeholder: 'tag', 'aria-label': 'Filter by tag' });
  const retired = h('input', { type: 'checkbox', name: 'includeRetired' });
  const filter = h('form', { class: 'filter', role: 'search', onsubmit: (e) => { e.preventDefault(); firstPage(); } },
    tag, h('label', {}, retired, ' Include retired'), h('button', { type: 'submit' }, 'Filter'));
  retired.addEventListener('change', () => firstPage());
  const devices = h('div', { class: 'devices' });
  const prev = h('button', { type: 'button', disabled: true, onclick: () => { cursor = before.pop(); reload(); } }, 'Previous page');
  const nextBtn = h('button', { type: 'button', disabled: true, onclick: () => { if (next !== undefined) { before.push(cursor); cursor = next; reload(); } } }, 'Next page');
  const pageInfo = h('span', { class: 'muted' });

  const el = h('section', { class: 'fleet' },
    h('h1', {}, 'Fleet'),
    overview,
    breakdown,
    h('h2', {}, 'Devices'),
    filter,
    devices,
    h('nav', { class: 'pager', 'aria-label': 'Device pages' }, prev, pageInfo, nextBtn));

  function firstPage() {
    filterTag = tag.value.trim();
    before.length = 0;
    cursor = undefined;
    reload();
  }

  function reload() {
    shown = '';
    ctx.refreshNow();
  }

  async function refresh() {
    const my = ++seq;
    const [o, page] = await Promise.all([
      get('/api/overview'),
      get('/api/devices', { limit: DEVICE_PAGE_SIZE, cursor, tag: filterTag, includeRetired: retired.checked ? 'true' : undefined }),
    ]);
    if (my !== seq) return;
    const key = JSON.stringify([o, page, before.length]);
    if (key === shown) return;
    shown = key;
    next = page.next;
    prev.disabled = before.length === 0;
    nextBtn.disabled = next === undefined;
    pageInfo.textContent = `Page ${before.length + 1}`;
    renderOverview(o);
    fill(devices, deviceTable(page.items));
  }

  function renderOverview(o) {
    const stat = (label, value, href) => h('div', { class: 'stat' },
      h('span', { class: 'stat-value', 'aria-label': `${label}: ${value}` }, href ? h('a', { href }, num(value)) : num(value)),
      h('span', { class: 'stat-label' }, label));
    fill(overview,
      stat('Devices', o.devices),
      stat('Online', o.online),
      stat('Pending', o.pending, '#/enrollments'),
      stat('Retired', o.retired),
      stat('Active rollouts', o.activeRollouts, '#/rollouts'));
    const versionRows = [];
    for (const app of Object.keys(o.versions).sort()) {
      for (const [version, count] of Object.entries(o.versions[app]).sort()) versionRows.push(h('tr', {}, h('td', {}, app), h('td', {}, version), h('td', { class: 'n' }, num(count))));
    }
    const healthRows = Object.entries(o.health).sort().map(([word, count]) => h('tr', {}, h('td', {}, badge(word)), h('td', { class: 'n' }, num(count))));
    fill(breakdown,
      h('div', {}, h('h2', {}, 'Versions'), table('Versions per app', ['App', 'Version', 'Devices'], versionRows, 'No app reported yet')),
      h('div', {}, h('h2', {}, 'Health'), table('Module health', ['Health', 'Modules'], healthRows, 'No module reported yet')));
  }

  return { el, title: 'Fleet', refresh, dispose() {} };
}

function deviceTable(items) {
  const rows = items.map((d) => h('tr', { class: d.retired ? 'retired' : undefined, dataset: { deviceId: d.deviceId } },
    h('td', {}, h('a', { href: `#/devices/${encodeURIComponent(d.deviceId)}` }, d.deviceId), d.retired ? h('span', { class: 'muted' }, ' (retired)') : null),
    h('td', {}, d.deviceClass),
    h('td', {}, d.tags.map((t) => h('span', { class: 'tag' }, t))),
    h('td', {}, onlineDot(d.online)),
    h('td', {}, d.agentVersion ?? '–'),
    h('td', {}, d.modules.length === 0 ? h('span', { class: 'muted' }, 'none') : h('ul', { class: 'modules' },
      d.modules.map((m) => h('li', {}, h('span', { class: 'module-name' }, m.name), ' ', h('span', { class: 'version' }, m.version), ' ', badge(m.health))))),
    h('td', {}, agoEl(d.lastSeenMs))));
  return table('Devices', ['Device', 'Class', 'Tags', 'Online', 'Agent', 'Modules', 'Last seen'], rows, 'No device matches');
}
