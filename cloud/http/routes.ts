// The route table of fleetlet's HTTP API: one row per method and path, saying which query parameters it takes,
// whether it needs an operator token, how its input is checked and which FleetOps method answers it.

import type { FleetOps, RolloutCommandName } from '../service/ops.ts';
import type { EnrollmentState, RolloutState } from '../store/types.ts';
import { parseCreateRollout } from './_rollout-request.ts';
import { APP_NAME, array, bad, defined, DEVICE_ID, object, type Query, ROLLOUT_ID, text } from './_validate.ts';

export type Method = 'GET' | 'POST' | 'PUT';

/** What a handler is given: checked path parameters and query, the caller, and the body on demand. */
export interface RouteContext {
  readonly params: Readonly<Record<string, string>>;
  readonly query: Query;
  /** The operator's name when the caller sent a valid token (always set on routes that need one). */
  readonly actor: string | undefined;
  /** The body as JSON (`undefined` when empty). @throws OpsError 'bad-request' for malformed JSON */
  json(): Promise<unknown>;
  /** The body's bytes. */
  bytes(): Promise<Uint8Array>;
}

export interface Route {
  readonly method: Method;
  /** Segments; ":name" is a path parameter. */
  readonly path: string;
  /** Query parameter names the route takes (paging adds `limit` and `cursor`). */
  readonly query: readonly string[];
  /** A changing call (or one that reads secrets-adjacent data): needs an operator token. */
  readonly token: boolean;
  /** Success status; default 200. */
  readonly status?: number;
  /** The body is a bundle (octet stream, the larger limit). */
  readonly bundle?: boolean;
  handle(ops: FleetOps, c: RouteContext): Promise<unknown>;
}

const PAGE = ['limit', 'cursor'];
const ENROLLMENT_STATES: readonly EnrollmentState[] = ['pending', 'accepted', 'refused', 'retired'];
const ROLLOUT_STATES: readonly RolloutState[] = ['created', 'running', 'paused', 'halted', 'completed', 'aborted', 'rolling-back', 'rolled-back'];
const COMMANDS: readonly RolloutCommandName[] = ['start', 'pause', 'resume', 'abort', 'roll-back'];
const MAX_TAGS = 64;
const TAG = /^[^\u0000-\u001f\u007f,]{1,128}$/;
const DEVICE = { pattern: DEVICE_ID, max: 64, what: 'a device id (letters, digits, ".", "_", ":", "-")' };
const ROLLOUT = { pattern: ROLLOUT_ID, max: 64, what: 'a rollout id (letters, digits, ".", "_", ":", "-")' };
const MODULE = { pattern: APP_NAME, max: 64, what: 'a module name (lowercase letters, digits, ".", "_", "-")' };
const METRIC = { pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, max: 64, what: 'a metric name (letters, digits, ".", "_", ":", "-")' };

const device = (c: RouteContext): string => text(c.params['id'], 'id', DEVICE);
const rollout = (c: RouteContext): string => text(c.params['id'], 'id', ROLLOUT);
const actor = (c: RouteContext): string => c.actor!;

/** A POST that takes no input: an empty body or `{}`. */
async function noBody(c: RouteContext): Promise<void> {
  const b = await c.json();
  if (b !== undefined) object(b, '', []);
}

function commandRoute(command: RolloutCommandName): Route {
  return {
    method: 'POST', path: `/api/rollouts/:id/${command}`, query: [], token: true,
    handle: async (ops, c) => {
      const id = rollout(c);
      await noBody(c);
      return ops.commandRollout(id, command, actor(c));
    },
  };
}

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/api/overview', query: [], token: false, handle: (ops) => ops.overview() },
  {
    method: 'GET', path: '/api/devices', query: [...PAGE, 'tag', 'includeRetired'], token: false,
    handle: (ops, c) => ops.listDevices({ ...c.query.page(), ...defined({ tag: c.query.text('tag', { max: 128 }), includeRetired: c.query.bool('includeRetired') }) }),
  },
  { method: 'GET', path: '/api/devices/:id', query: [], token: false, handle: (ops, c) => ops.getDevice(device(c)) },
  {
    method: 'PUT', path: '/api/devices/:id/tags', query: [], token: true,
    handle: async (ops, c) => {
      const id = device(c);
      const b = object(await c.json(), '', ['tags']);
      if (b['tags'] === undefined) throw bad('Missing tags: the full list of the device\'s tags (may be empty)', 'tags');
      const tags = array(b['tags'], 'tags', 0, MAX_TAGS).map((t, i) => text(t, `tags[${i}]`, { pattern: TAG, max: 128, what: 'a tag (1 to 128 printable characters, no comma)' }));
      return ops.setTags(id, tags, actor(c));
    },
  },
  {
    method: 'POST', path: '/api/devices/:id/retire', query: [], token: true,
    handle: async (ops, c) => {
      const id = device(c);
      await noBody(c);
      return ops.retireDevice(id, actor(c));
    },
  },
  {
    method: 'GET', path: '/api/enrollments', query: [...PAGE, 'state'], token: false,
    handle: (ops, c) => ops.listEnrollments({ ...c.query.page(), ...defined({ state: c.query.oneOf('state', ENROLLMENT_STATES) }) }),
  },
  {
    method: 'POST', path: '/api/enrollments/:id/accept', query: [], token: true,
    handle: async (ops, c) => {
      const id = device(c);
      await noBody(c);
      return ops.acceptDevice(id, actor(c));
    },
  },
  {
    method: 'POST', path: '/api/enrollments/:id/refuse', query: [], token: true,
    handle: async (ops, c) => {
      const id = device(c);
      const raw = await c.json();
      const b = raw === undefined ? {} : object(raw, '', ['note']);
      const note = b['note'] === undefined ? undefined : text(b['note'], 'note', { max: 500 });
      return ops.refuseDevice(id, actor(c), ...(note === undefined ? [] : [note]));
    },
  },
  {
    method: 'GET', path: '/api/devices/:id/logs', query: ['module'], token: false,
    handle: async (ops, c) => {
      const id = device(c);
      const module = c.query.text('module', MODULE);
      return { items: await (module === undefined ? ops.logs(id) : ops.logs(id, module)) };
    },
  },
  {
    method: 'GET', path: '/api/devices/:id/telemetry', query: [...PAGE, 'module', 'metric', 'fromMs', 'toMs'], token: false,
    handle: (ops, c) => {
      const deviceId = device(c);
      const q = defined({
        module: c.query.text('module', MODULE),
        metric: c.query.text('metric', METRIC),
        fromMs: c.query.int('fromMs', 0, Number.MAX_SAFE_INTEGER),
        toMs: c.query.int('toMs', 0, Number.MAX_SAFE_INTEGER),
      });
      if (q.fromMs !== undefined && q.toMs !== undefined && q.fromMs > q.toMs) throw bad(`Invalid fromMs ${q.fromMs}: after toMs ${q.toMs}`, 'fromMs');
      return ops.telemetry({ deviceId, ...c.query.page(), ...q });
    },
  },
  {
    method: 'GET', path: '/api/events', query: [...PAGE, 'deviceId', 'kind'], token: false,
    handle: (ops, c) => ops.events({ ...c.query.page(), ...defined({ deviceId: c.query.text('deviceId', DEVICE), kind: c.query.text('kind', METRIC) }) }),
  },
  {
    method: 'POST', path: '/api/releases', query: [], token: true, status: 201, bundle: true,
    handle: async (ops, c) => {
      const bytes = await c.bytes();
      if (bytes.length === 0) throw bad('The request body is empty: send the bundle file\'s bytes (application/octet-stream)', 'body');
      return ops.uploadBundle(bytes, actor(c));
    },
  },
  {
    method: 'GET', path: '/api/releases', query: [...PAGE, 'name'], token: false,
    handle: (ops, c) => ops.listReleases({ ...c.query.page(), ...defined({ name: c.query.text('name', MODULE) }) }),
  },
  {
    method: 'POST', path: '/api/rollouts', query: [], token: true, status: 201,
    handle: async (ops, c) => {
      const body = await c.json();
      if (body === undefined) throw bad('The request body is empty: send a rollout request as JSON', 'body');
      return ops.createRollout(parseCreateRollout(body), actor(c));
    },
  },
  {
    method: 'GET', path: '/api/rollouts', query: [...PAGE, 'state'], token: false,
    handle: (ops, c) => ops.listRollouts({ ...c.query.page(), ...defined({ state: c.query.oneOf('state', ROLLOUT_STATES) }) }),
  },
  { method: 'GET', path: '/api/rollouts/:id', query: [], token: false, handle: (ops, c) => ops.getRollout(rollout(c)) },
  ...COMMANDS.map(commandRoute),
  {
    method: 'GET', path: '/api/audit', query: [...PAGE, 'actor'], token: true,
    handle: (ops, c) => ops.listAudit({ ...c.query.page(), ...defined({ actor: c.query.text('actor', { max: 64 }) }) }),
  },
];

/** The routes whose path matches, and the path parameters of each (raw, still percent-encoded). */
export function matchPath(path: string): { route: Route; params: Record<string, string> }[] {
  const segs = path.split('/');
  const out: { route: Route; params: Record<string, string> }[] = [];
  for (const route of ROUTES) {
    const want = route.path.split('/');
    if (want.length !== segs.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < want.length && ok; i++) {
      const w = want[i]!;
      if (w.startsWith(':')) {
        if (segs[i] === '') ok = false;
        else params[w.slice(1)] = segs[i]!;
      } else ok = w === segs[i];
    }
    if (ok) out.push({ route, params });
  }
  return out;
}
