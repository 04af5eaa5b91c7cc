// The enrollments page of the fleetlet dashboard: requests by state (pending first), with Accept and Refuse for the
// pending ones; both need the operator token.

import { command, confirmAction, get } from './api.js';
import { agoEl, badge, fill, h, table } from './dom.js';

const STATES = ['pending', 'accepted', 'refused', 'retired'];

export function enrollmentsView(ctx) {
  let seq = 0;
  let shown = '';
  const state = h('select', { name: 'state', 'aria-label': 'Enrollment state', onchange: () => { shown = ''; ctx.refreshNow(); } },
    STATES.map((s) => h('option', { value: s }, s)));
  const list = h('div', {});
  const el = h('section', { class: 'enrollments' }, h('h1', {}, 'Enrollments'), h('div', { class: 'filter' }, state), list);

  async function act(deviceId, verb) {
    ctx.clearMessage();
    let body;
    if (verb === 'refuse') {
      const answer = await confirmAction({ title: `Refuse ${deviceId}?`, text: `The device "${deviceId}" will not get broker credentials. You may say why.`, ok: 'Refuse', withNote: true });
      if (answer === null) return;
      body = answer;
    }
    try {
      await command('POST', `/api/enrollments/${encodeURIComponent(deviceId)}/${verb}`, body);
      shown = '';
      ctx.refreshNow();
    } catch (e) {
      ctx.showError(e);
    }
  }

  async function refresh() {
    const my = ++seq;
    const page = await get('/api/enrollments', { state: state.value, limit: 1000 });
    if (my !== seq) return;
    const key = JSON.stringify([state.value, page]);
    if (key === shown) return;
    shown = key;
    const rows = page.items.map((r) => h('tr', { dataset: { deviceId: r.deviceId } },
      h('td', {}, r.deviceId),
      h('td', {}, r.deviceClass),
      h('td', {}, h('code', { title: r.publicKey }, `${r.publicKey.slice(0, 16)}…`)),
      h('td', {}, agoEl(r.requestedAtMs)),
      h('td', {}, badge(r.state), r.note ? h('span', { class: 'muted' }, ` ${r.note}`) : null),
      h('td', { class: 'actions' }, r.state === 'pending' ? [
        h('button', { type: 'button', 'aria-label': `Accept ${r.deviceId}`, onclick: () => act(r.deviceId, 'accept') }, 'Accept'),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Refuse ${r.deviceId}`, onclick: () => act(r.deviceId, 'refuse') }, 'Refuse'),
      ] : null)));
    fill(list, table(`${state.value} enrollments`, ['Device', 'Class', 'Public key', 'Requested', 'State', ''], rows, `No ${state.value} enrollment`));
  }

  return { el, title: 'Enrollments', refresh, dispose() {} };
}
