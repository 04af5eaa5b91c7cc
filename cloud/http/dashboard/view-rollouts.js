// The rollout pages of the fleetlet dashboard: the list of rollouts, and one rollout with its state, per-wave bars of
// device phases, the halt reason, the decision log and the commands its state allows.

import { command, get } from './api.js';
import { agoEl, badge, fill, h, stamp, table } from './dom.js';

const PHASES = ['waiting', 'issued', 'installing', 'good', 'failed'];
const STATES = ['created', 'running', 'paused', 'halted', 'completed', 'aborted', 'rolling-back', 'rolled-back'];

/** The commands an operator may give in each state, as the rollout engine allows them. */
export const COMMANDS = [
  { name: 'start', label: 'Start', states: ['created'] },
  { name: 'pause', label: 'Pause', states: ['running'] },
  { name: 'resume', label: 'Resume', states: ['paused'] },
  { name: 'abort', label: 'Abort', states: ['created', 'running', 'paused', 'halted'] },
  { name: 'roll-back', label: 'Roll back', states: ['halted'] },
];

export function rolloutsView(ctx) {
  let seq = 0;
  let shown = '';
  const before = [];
  let cursor;
  let next;
  const state = h('select', { name: 'state', 'aria-label': 'Rollout state', onchange: () => { before.length = 0; cursor = undefined; reload(); } },
    h('option', { value: '' }, 'all states'), STATES.map((s) => h('option', { value: s }, s)));
  const list = h('div', {});
  const prev = h('button', { type: 'button', disabled: true, onclick: () => { cursor = before.pop(); reload(); } }, 'Previous page');
  const nextBtn = h('button', { type: 'button', disabled: true, onclick: () => { if (next !== undefined) { before.push(cursor); cursor = next; reload(); } } }, 'Next page');
  const el = h('section', { class: 'rollouts' }, h('h1', {}, 'Rollouts'), h('div', { class: 'filter' }, state), list,
    h('nav', { class: 'pager', 'aria-label': 'Rollout pages' }, prev, nextBtn));

  function reload() {
    shown = '';
    ctx.refreshNow();
  }

  async function refresh() {
    const my = ++seq;
    const page = await get('/api/rollouts', { state: state.value, limit: 50, cursor });
    if (my !== seq) return;
    const key = JSON.stringify([page, before.length]);
    if (key === shown) return;
    shown = key;
    next = page.next;
    prev.disabled = before.length === 0;
    nextBtn.disabled = next === undefined;
    const rows = page.items.map((r) => h('tr', { dataset: { rolloutId: r.id } },
      h('td', {}, h('a', { href: `#/rollouts/${encodeURIComponent(r.id)}` }, r.id)),
      h('td', {}, r.app),
      h('td', {}, r.release.version),
      h('td', {}, badge(r.state)),
      h('td', {}, r.wave < 0 ? 'not started' : `${r.wave + 1} of ${r.waves.length}`),
      h('td', {}, countsText(r.counts)),
      h('td', {}, agoEl(r.updatedAtMs))));
    fill(list, table('Rollouts', ['Rollout', 'App', 'Version', 'State', 'Wave', 'Devices', 'Updated'], rows, 'No rollout'));
  }

  return { el, title: 'Rollouts', refresh, dispose() {} };
}

export function rolloutView(ctx, id) {
  let seq = 0;
  let shown = '';
  let busy = false;
  let state = '';

  const summary = h('div', { class: 'summary' });
  const halt = h('section', { class: 'halt', 'aria-label': 'Halt reason', hidden: true });
  const waves = h('section', { class: 'waves', 'aria-label': 'Waves' });
  const decisions = h('section', { class: 'decisions' });
  const buttons = COMMANDS.map((c) => h('button', {
    type: 'button',
    class: c.name === 'abort' || c.name === 'roll-back' ? 'danger' : undefined,
    dataset: { command: c.name },
    disabled: true,
    onclick: () => run(c),
  }, c.label));
  const el = h('section', { class: 'rollout' },
    h('p', {}, h('a', { href: '#/rollouts' }, '← Rollouts')),
    h('h1', {}, 'Rollout ', h('span', { class: 'id' }, id)),
    summary,
    h('div', { class: 'commands', role: 'group', 'aria-label': 'Rollout commands' }, buttons),
    halt,
    waves,
    decisions);

  async function run(c) {
    ctx.clearMessage();
    busy = true;
    enable();
    try {
      const view = await command('POST', `/api/rollouts/${encodeURIComponent(id)}/${c.name}`);
      seq++;
      render(view);
    } catch (e) {
      ctx.showError(e);
    } finally {
      busy = false;
      enable();
    }
  }

  function enable() {
    buttons.forEach((b, i) => { b.disabled = busy || !COMMANDS[i].states.includes(state); });
  }

  async function refresh() {
    const my = ++seq;
    const view = await get(`/api/rollouts/${encodeURIComponent(id)}`);
    if (my !== seq) return;
    render(view);
  }

  function render(r) {
    const key = JSON.stringify(r);
    if (key === shown) return;
    shown = key;
    state = r.state;
    enable();
    fill(summary, h('dl', {},
      h('dt', {}, 'State'), h('dd', { class: 'state' }, badge(r.state)),
      h('dt', {}, 'App'), h('dd', {}, r.app),
      h('dt', {}, 'Release'), h('dd', {}, `${r.release.version} (sequence ${r.release.sequence})`),
      r.previous ? [h('dt', {}, 'Previous'), h('dd', {}, `${r.previous.version} (sequence ${r.previous.sequence})`)] : null,
      h('dt', {}, 'Wave'), h('dd', {}, r.wave < 0 ? 'not started' : `${r.wave + 1} of ${r.waves.length}`),
      h('dt', {}, 'Devices'), h('dd', {}, countsText(r.counts)),
      h('dt', {}, 'Created'), h('dd', {}, `${stamp(r.createdAtMs)} by ${r.createdBy}`),
      h('dt', {}, 'Updated'), h('dd', {}, agoEl(r.updatedAtMs))));
    if (r.halt) fill(halt, h('h2', {}, 'Halted'), h('p', {}, h('strong', {}, r.halt.code), ': ', r.halt.reason));
    else halt.replaceChildren();
    halt.hidden = !r.halt;
    fill(waves, h('h2', {}, 'Waves'), h('ol', { class: 'wave-list' }, r.waves.map((w) => waveBar(w, w.index === r.wave))),
      h('p', { class: 'legend' }, PHASES.map((p) => h('span', { class: `legend-item phase-${p}` }, p))));
    const rows = r.decisions.map((d) => h('tr', {},
      h('td', {}, h('time', { datetime: new Date(d.atMs).toISOString() }, stamp(d.atMs))),
      h('td', {}, h('code', {}, d.code)),
      h('td', {}, d.wave === undefined ? '' : String(d.wave + 1)),
      h('td', {}, d.reason)));
    fill(decisions, h('h2', {}, 'Decisions'), table('Decision log', ['Time', 'Code', 'Wave', 'Reason'], rows, 'No decision yet'));
  }

  return { el, title: `Rollout ${id}`, refresh, dispose() {} };
}

function waveBar(w, current) {
  const label = `Wave ${w.index + 1}: ${w.size} devices, ${PHASES.map((p) => `${w.counts[p] ?? 0} ${p}`).join(', ')}`;
  return h('li', { class: current ? 'wave current' : 'wave', dataset: { wave: String(w.index) } },
    h('span', { class: 'wave-name' }, `Wave ${w.index + 1}`, current ? ' (current)' : ''),
    h('div', { class: 'bar', role: 'img', 'aria-label': label, title: label },
      PHASES.filter((p) => (w.counts[p] ?? 0) > 0).map((p) => h('span', {
        class: `seg phase-${p}`,
        style: { flexGrow: String(w.counts[p]) },
        dataset: { phase: p, count: String(w.counts[p]) },
      }))),
    h('span', { class: 'wave-counts' }, PHASES.map((p) => h('span', { class: `count phase-${p}`, dataset: { phase: p } }, `${p} ${w.counts[p] ?? 0}`))));
}

function countsText(counts) {
  return PHASES.filter((p) => (counts[p] ?? 0) > 0).map((p) => `${counts[p]} ${p}`).join(', ') || 'none';
}
