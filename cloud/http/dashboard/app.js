// The fleetlet dashboard's entry: hash routes to views, a 1 s poll of the current view while the tab is visible,
// the operator token controls in the header, and the page-wide error line.

import { ApiError, askToken, forgetToken, hasToken, onTokenChange } from './api.js';
import { tickAgo } from './dom.js';
import { fleetView } from './view-fleet.js';
import { enrollmentsView } from './view-enrollments.js';
import { rolloutsView, rolloutView } from './view-rollouts.js';
import { deviceView } from './view-device.js';

const POLL_MS = 1000;

/** Route patterns on `location.hash`, first match wins; each makes a view from the captured, decoded parts. */
const routes = [
  { pattern: /^#?\/?$/, nav: 'fleet', make: () => fleetView(ctx) },
  { pattern: /^#\/enrollments\/?$/, nav: 'enrollments', make: () => enrollmentsView(ctx) },
  { pattern: /^#\/rollouts\/?$/, nav: 'rollouts', make: () => rolloutsView(ctx) },
  { pattern: /^#\/rollouts\/([^/]+)$/, nav: 'rollouts', make: (id) => rolloutView(ctx, id) },
  { pattern: /^#\/devices\/([^/]+)$/, nav: 'fleet', make: (id) => deviceView(ctx, id) },
];

const main = document.getElementById('view');
const message = document.getElementById('message');
const connection = document.getElementById('connection');

let current = null;
let timer = null;
let generation = 0;

/** What views get: the page-wide messages and a way to refresh at once after a command. */
const ctx = {
  showError(e) {
    if (e instanceof ApiError && e.code === 'cancelled') return;
    message.textContent = e instanceof Error ? e.message : String(e);
    message.hidden = false;
  },
  clearMessage() {
    message.textContent = '';
    message.hidden = true;
  },
  refreshNow() {
    schedule(0);
  },
};

function route() {
  const hash = location.hash === '' ? '#/' : location.hash;
  for (const r of routes) {
    const m = r.pattern.exec(hash);
    if (m === null) continue;
    let parts;
    try {
      parts = m.slice(1).map(decodeURIComponent);
    } catch {
      continue;
    }
    return { nav: r.nav, view: r.make(...parts) };
  }
  return { nav: '', view: notFound(hash) };
}

function notFound(hash) {
  const el = document.createElement('section');
  const p = document.createElement('p');
  p.textContent = `No page at "${hash}".`;
  el.append(p);
  return { el, title: 'Not found', async refresh() {}, dispose() {} };
}

function show() {
  current?.dispose();
  ctx.clearMessage();
  const { nav, view } = route();
  current = view;
  generation++;
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${view.title} · fleetlet`;
  main.replaceChildren(view.el);
  schedule(0);
}

function schedule(delayMs) {
  if (timer !== null) clearTimeout(timer);
  timer = setTimeout(poll, delayMs);
}

async function poll() {
  timer = null;
  const view = current;
  const gen = generation;
  if (view === null || document.visibilityState !== 'visible') return;
  try {
    await view.refresh();
    if (gen === generation) {
      connection.hidden = true;
      connection.textContent = '';
    }
  } catch (e) {
    if (gen === generation) {
      connection.textContent = e instanceof ApiError && (e.status === 401 || e.status === 403)
        ? `${e.message}: this cloud needs an operator token to read (Enter operator token)`
        : e instanceof Error ? e.message : String(e);
      connection.hidden = false;
    }
  }
  tickAgo(main);
  if (gen === generation && timer === null) schedule(POLL_MS);
}

function showToken(set) {
  document.getElementById('token-state').textContent = `Operator token: ${set ? 'set' : 'not set'}`;
  document.getElementById('token-set').hidden = set;
  document.getElementById('token-forget').hidden = !set;
}

document.getElementById('token-set').addEventListener('click', async () => {
  if (await askToken('Your operator token lets this tab accept devices and command rollouts. It is kept in this tab only, until you close it.')) ctx.refreshNow();
});
document.getElementById('token-forget').addEventListener('click', () => forgetToken());
onTokenChange(showToken);
showToken(hasToken());

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') schedule(0);
});
window.addEventListener('hashchange', show);
show();
