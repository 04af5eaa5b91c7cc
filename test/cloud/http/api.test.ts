// Tests of fleetlet's HTTP API over a real socket, with an in-memory FleetOps behind it (the HTTP layer is the unit):
// every route, status codes, checks naming the field, paging passed through, tokens, the actor handed to FleetOps,
// body limits, 404/405, a 500 that leaks nothing, and the dashboard's static files without path traversal.

import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHttpApi, type HttpApi } from '../../../cloud/http/index.ts';
import { send, type Send } from './client.ts';
import { MemoryOps } from './memory-ops.ts';

const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-abcdefghijkl';
const DIGEST = 'a'.repeat(64);

let ops: MemoryOps;
let api: HttpApi;
let dir: string;
const logged: { message: string; fields: Record<string, unknown> }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlet-http-'));
  await mkdir(join(dir, 'dashboard'));
  await writeFile(join(dir, 'dashboard', 'index.html'), '<!doctype html><title>fleetlet</title><script src="/assets/app.js"></script>');
  await writeFile(join(dir, 'dashboard', 'app.js'), 'console.log("fleetlet");');
  await writeFile(join(dir, 'dashboard', '.secret.js'), 'hidden');
  await writeFile(join(dir, 'outside.js'), 'outside');
  await symlink(join(dir, 'outside.js'), join(dir, 'dashboard', 'link.js'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function serve(over: Partial<Parameters<typeof startHttpApi>[1]> = {}): Promise<void> {
  await api?.close();
  api = await startHttpApi(ops, {
    operators: [{ name: 'alice', token: ALICE }, { name: 'bob', token: BOB }],
    dashboardDir: join(dir, 'dashboard'),
    log: (message, fields) => logged.push({ message, fields }),
    ...over,
  });
}

beforeEach(async () => {
  ops = new MemoryOps(5);
  logged.length = 0;
  await serve();
});

afterAll(async () => {
  await api?.close();
});

const get = (path: string, o: Send = {}) => send(api.url, 'GET', path, o);
const post = (path: string, o: Send = {}) => send(api.url, 'POST', path, { token: ALICE, ...o });
const lastCall = () => ops.calls[ops.calls.length - 1]!;

function expectError(r: { status: number; json: any }, status: number, code: string, field?: string, message?: RegExp): void {
  expect(r.status, JSON.stringify(r.json)).toBe(status);
  expect(r.json.error.code).toBe(code);
  if (field !== undefined) expect(r.json.error.field).toBe(field);
  if (message !== undefined) expect(r.json.error.message).toMatch(message);
}

describe('reads', () => {
  it('GET /api/overview answers FleetOverview as JSON with the security headers', async () => {
    const r = await get('/api/overview');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.json).toMatchObject({ devices: 5, online: 5, pending: 2 });
  });

  it('GET /api/devices passes limit and cursor through and returns the next cursor', async () => {
    const first = await get('/api/devices?limit=2');
    expect(first.json.items.map((d: any) => d.deviceId)).toEqual(['dev-1', 'dev-2']);
    expect(first.json.next).toBe('2');
    const second = await get(`/api/devices?limit=2&cursor=${first.json.next}`);
    expect(second.json.items.map((d: any) => d.deviceId)).toEqual(['dev-3', 'dev-4']);
    expect(lastCall()).toEqual({ method: 'listDevices', args: [{ limit: 2, cursor: '2' }] });
    const last = await get('/api/devices?limit=2&cursor=4');
    expect(last.json).toEqual({ items: [expect.objectContaining({ deviceId: 'dev-5' })] });
  });

  it('GET /api/devices passes tag and includeRetired', async () => {
    const r = await get('/api/devices?tag=site%3Dsouth&includeRetired=true');
    expect(r.json.items.map((d: any) => d.deviceId)).toEqual(['dev-2', 'dev-4']);
    expect(lastCall().args[0]).toEqual({ tag: 'site=south', includeRetired: true });
  });

  it.each([
    ['/api/devices?limit=0', 'limit', /\[1, 1000\]/],
    ['/api/devices?limit=1001', 'limit', /\[1, 1000\]/],
    ['/api/devices?limit=ten', 'limit', /integer/],
    ['/api/devices?includeRetired=maybe', 'includeRetired', /true or false/],
    ['/api/devices?colour=red', 'colour', /Unknown query parameter "colour"/],
    ['/api/devices?tag=a&tag=b', 'tag', /twice/],
    ['/api/devices?cursor=', 'cursor', /empty/],
    ['/api/enrollments?state=maybe', 'state', /pending, accepted, refused, retired/],
    ['/api/rollouts?state=done', 'state', /running/],
    ['/api/devices/dev%2B1', 'id', /device id/],
    ['/api/devices/dev-1/logs?module=Thermo', 'module', /module name/],
    ['/api/devices/dev-1/telemetry?fromMs=-1', 'fromMs', /\[0, /],
    ['/api/devices/dev-1/telemetry?fromMs=5&toMs=4', 'fromMs', /after toMs/],
    ['/api/devices/dev-1/telemetry?metric=a%20b', 'metric', /metric name/],
    ['/api/events?deviceId=a%2Fb', 'deviceId', /device id/],
    ['/api/overview?x=1', 'x', /takes none/],
    ['/api/devices/%E0%A4%A/logs', 'id', /percent-encoding/],
  ])('GET %s is refused with 400 naming %s', async (path, field, message) => {
    const before = ops.calls.length;
    expectError(await get(path), 400, 'bad-request', field, message);
    expect(ops.calls.length).toBe(before);
  });

  it('GET /api/devices/:id answers the detail, 404 for an unknown device', async () => {
    const r = await get('/api/devices/dev-3');
    expect(r.json).toMatchObject({ deviceId: 'dev-3', moduleDetails: [{ name: 'thermostat' }] });
    expectError(await get('/api/devices/dev-99'), 404, 'not-found', 'id', /dev-99/);
  });

  it('GET /api/enrollments filters by state', async () => {
    const r = await get('/api/enrollments?state=pending&limit=1');
    expect(r.json).toEqual({ items: [expect.objectContaining({ deviceId: 'dev-new' })], next: '1' });
    expect(lastCall().args[0]).toEqual({ limit: 1, state: 'pending' });
  });

  it('GET /api/devices/:id/logs answers { items } for one module or all', async () => {
    expect((await get('/api/devices/dev-1/logs')).json.items).toHaveLength(3);
    const r = await get('/api/devices/dev-1/logs?module=meter');
    expect(r.json).toEqual({ items: [{ module: 'meter', line: 'ok' }] });
    expect(lastCall()).toEqual({ method: 'logs', args: ['dev-1', 'meter'] });
    expectError(await get('/api/devices/nobody/logs'), 404, 'not-found');
  });

  it('GET /api/devices/:id/telemetry passes the range, metric and paging', async () => {
    const r = await get('/api/devices/dev-2/telemetry?module=thermostat&metric=temp&fromMs=1700000002000&toMs=1700000005000&limit=3');
    expect(r.json.items.map((p: any) => p.atMs)).toEqual([1700000002000, 1700000003000, 1700000004000]);
    expect(r.json.next).toBe('3');
    expect(lastCall().args[0]).toEqual({ deviceId: 'dev-2', module: 'thermostat', metric: 'temp', fromMs: 1700000002000, toMs: 1700000005000, limit: 3 });
  });

  it('GET /api/events filters by device and kind', async () => {
    const r = await get('/api/events?deviceId=dev-2&kind=module-started');
    expect(r.json.items).toEqual([expect.objectContaining({ deviceId: 'dev-2', kind: 'module-started' })]);
  });

  it('a read with a wrong token is refused even where reads are open', async () => {
    expectError(await get('/api/overview', { token: 'not-a-known-token-at-all' }), 403, 'forbidden');
  });

  it('with readsNeedToken every read needs a token', async () => {
    await serve({ readsNeedToken: true });
    expectError(await get('/api/overview'), 401, 'unauthorized');
    expect((await get('/api/overview', { token: BOB })).status).toBe(200);
  });
});

describe('tokens and the actor', () => {
  it('a changing call without a token is 401 with WWW-Authenticate, and FleetOps is not called', async () => {
    const r = await send(api.url, 'POST', '/api/devices/dev-1/retire');
    expectError(r, 401, 'unauthorized', undefined, /Authorization: Bearer/);
    expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(ops.calls).toEqual([]);
  });

  it('an unknown token is 403, a malformed header 401', async () => {
    expectError(await post('/api/devices/dev-1/retire', { token: 'alice-token-0123456788' }), 403, 'forbidden');
    expectError(await send(api.url, 'POST', '/api/devices/dev-1/retire', { headers: { authorization: `Basic ${ALICE}` } }), 401, 'unauthorized');
    expect(ops.calls).toEqual([]);
  });

  it('each operator\'s token names that operator as the actor', async () => {
    await post('/api/devices/dev-1/retire', { token: BOB });
    expect(lastCall()).toEqual({ method: 'retireDevice', args: ['dev-1', 'bob'] });
    await post('/api/enrollments/dev-new/accept', { token: ALICE });
    expect(lastCall()).toEqual({ method: 'acceptDevice', args: ['dev-new', 'alice'] });
    const audit = await get('/api/audit?actor=bob', { token: ALICE });
    expect(audit.json.items).toEqual([expect.objectContaining({ actor: 'bob', action: 'retire-device', subject: 'dev-1' })]);
  });

  it('GET /api/audit needs a token even when reads are open', async () => {
    expectError(await get('/api/audit'), 401, 'unauthorized');
  });

  it('refuses operator lists with short or shared tokens', async () => {
    await expect(startHttpApi(ops, { operators: [{ name: 'a', token: 'short' }] })).rejects.toThrow(/at least 16/);
    await expect(startHttpApi(ops, { operators: [{ name: 'a', token: ALICE }, { name: 'b', token: ALICE }] })).rejects.toThrow(/shares its token/);
  });
});

describe('changes', () => {
  it('PUT /api/devices/:id/tags sets the tags', async () => {
    const r = await send(api.url, 'PUT', '/api/devices/dev-1/tags', { token: ALICE, body: { tags: ['site=west', 'floor=2'] } });
    expect(r.status).toBe(200);
    expect(r.json.tags).toEqual(['floor=2', 'site=west']);
    expect(lastCall()).toEqual({ method: 'setTags', args: ['dev-1', ['site=west', 'floor=2'], 'alice'] });
  });

  it.each([
    [{ tags: ['a'], colour: 'red' }, 'colour', /Unknown field "colour"/],
    [{}, 'tags', /Missing tags/],
    [{ tags: 'a' }, 'tags', /need an array/],
    [{ tags: ['a', 3] }, 'tags[1]', /need a tag/],
    [{ tags: ['a', 'b,c'] }, 'tags[1]', /no comma/],
    [{ tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }, 'tags', /0 to 64/],
    [[1, 2], 'body', /JSON object/],
  ])('PUT tags with %j is 400 naming %s', async (body, field, message) => {
    expectError(await send(api.url, 'PUT', '/api/devices/dev-1/tags', { token: ALICE, body }), 400, 'bad-request', field, message);
    expect(ops.calls).toEqual([]);
  });

  it('malformed JSON is 400 naming the line and column', async () => {
    const r = await send(api.url, 'PUT', '/api/devices/dev-1/tags', { token: ALICE, raw: '{\n  "tags": [\'a\']\n}' });
    expectError(r, 400, 'bad-request', undefined, /unexpected "'" at line 2 column 12/);
    const cut = await send(api.url, 'PUT', '/api/devices/dev-1/tags', { token: ALICE, raw: '{"tags": [' });
    expectError(cut, 400, 'bad-request', undefined, /the end of the body/);
  });

  it('a JSON body over maxBodyBytes is 413', async () => {
    await serve({ maxBodyBytes: 100 });
    expectError(await send(api.url, 'PUT', '/api/devices/dev-1/tags', { token: ALICE, body: { tags: ['x'.repeat(120)] } }), 413, 'too-large', undefined, /limit of 100 bytes/);
    expect(ops.calls).toEqual([]);
  });

  it('POST /api/devices/:id/retire takes no body fields', async () => {
    expectError(await post('/api/devices/dev-1/retire', { body: { now: true } }), 400, 'bad-request', 'now', /takes none/);
    const r = await post('/api/devices/dev-1/retire', { body: {} });
    expect(r.json).toMatchObject({ deviceId: 'dev-1', retired: true });
  });

  it('accept and refuse answer the EnrollmentView, 409 when already decided, 404 when unknown', async () => {
    expect((await post('/api/enrollments/dev-new/accept')).json).toMatchObject({ state: 'accepted' });
    expectError(await post('/api/enrollments/dev-new/accept'), 409, 'conflict', undefined, /already accepted/);
    const refused = await post('/api/enrollments/dev-old/refuse', { body: { note: 'not ours' } });
    expect(refused.json).toMatchObject({ state: 'refused', note: 'not ours' });
    expect(lastCall()).toEqual({ method: 'refuseDevice', args: ['dev-old', 'alice', 'not ours'] });
    expectError(await post('/api/enrollments/ghost/accept'), 404, 'not-found');
    expectError(await post('/api/enrollments/dev-x/refuse', { body: { note: 'n'.repeat(501) } }), 400, 'bad-request', 'note', /at most 500/);
  });

  it('POST /api/releases stores the bundle bytes (201), refuses an empty or foreign body and one over the limit', async () => {
    const bundle = Buffer.concat([Buffer.from('FLTB'), Buffer.alloc(300, 7)]);
    const r = await post('/api/releases', { raw: bundle });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ name: 'thermostat', version: '1.1.0', sizeBytes: 304 });
    expect(lastCall()).toEqual({ method: 'uploadBundle', args: [304, 'alice'] });
    expectError(await post('/api/releases', { raw: new Uint8Array() }), 400, 'bad-request', 'body');
    expectError(await post('/api/releases', { raw: Buffer.from('not a bundle') }), 400, 'bad-request', undefined, /FLTB/);
    expect((await get('/api/releases?name=thermostat')).json.items).toHaveLength(1);
    await serve({ maxBundleBytes: 200, maxBodyBytes: 1000 });
    expectError(await post('/api/releases', { raw: bundle }), 413, 'too-large', undefined, /limit of 200 bytes/);
  });
});

describe('rollouts', () => {
  async function upload(): Promise<string> {
    const r = await post('/api/releases', { raw: Buffer.concat([Buffer.from('FLTB'), Buffer.alloc(10)]) });
    return r.json.manifestDigest;
  }

  it('POST /api/rollouts creates (201) with the request checked and the actor passed', async () => {
    const release = await upload();
    const body = { id: 'r-1', release, target: { kind: 'selector', match: { site: ['north', 'south'] }, order: { seed: 7 } }, waves: { kind: 'percent', cumulative: [20, 100] }, policy: { successPercent: 100, regression: { confidence: 0.95 } }, start: false };
    const r = await post('/api/rollouts', { body });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ id: 'r-1', state: 'created', waves: [{ size: 1 }, { size: 4 }] });
    expect(lastCall()).toEqual({ method: 'createRollout', args: [body, 'alice'] });
    expectError(await post('/api/rollouts', { body }), 409, 'conflict');
    expectError(await post('/api/rollouts', { body: { ...body, id: 'r-2', release: 'b'.repeat(64) } }), 404, 'not-found', 'release');
  });

  const ok = { release: DIGEST, target: { kind: 'list', deviceIds: ['dev-1', 'dev-2'] }, waves: { kind: 'fixed', sizes: [1] } };
  it.each([
    [{ ...ok, colour: 1 }, 'colour', /Unknown field/],
    [{ target: ok.target, waves: ok.waves }, 'release', /Missing release/],
    [{ ...ok, release: 'A'.repeat(64) }, 'release', /64 lowercase hex/],
    [{ ...ok, id: 'has space' }, 'id', /rollout id/],
    [{ ...ok, target: undefined }, 'target', /Missing target/],
    [{ ...ok, target: { kind: 'group' } }, 'target.kind', /list, selector/],
    [{ ...ok, target: { kind: 'list', deviceIds: [] } }, 'target.deviceIds', /1 to/],
    [{ ...ok, target: { kind: 'list', deviceIds: ['dev-1', 'dev/2'] } }, 'target.deviceIds[1]', /device id/],
    [{ ...ok, target: { kind: 'list', deviceIds: ['dev-1', 'dev-1'] } }, 'target.deviceIds[1]', /named twice/],
    [{ ...ok, target: { kind: 'list', deviceIds: ['dev-1'], match: {} } }, 'target.match', /Unknown field "match"/],
    [{ ...ok, target: { kind: 'selector', match: {} } }, 'target.match', /at least one tag/],
    [{ ...ok, target: { kind: 'selector', match: { site: [] } } }, 'target.match.site', /1 to 100/],
    [{ ...ok, target: { kind: 'selector', match: { site: 3 } } }, 'target.match.site', /tag value/],
    [{ ...ok, target: { kind: 'selector', match: null } }, 'target.match', /JSON object/],
    [{ ...ok, target: { kind: 'selector', match: JSON.parse('{"__proto__": ["x"]}') } }, 'target.match.__proto__', /Invalid tag name "__proto__"/],
    [JSON.parse(`{"release": "${DIGEST}", "__proto__": {"start": false}}`), '__proto__', /Unknown field "__proto__"/],
    [{ ...ok, target: { kind: 'selector', deviceClass: 'Pi' } }, 'target.deviceClass', /device class/],
    [{ ...ok, target: { kind: 'selector', match: { a: 'b' }, order: { seed: -1 } } }, 'target.order.seed', /\[0, 4294967295\]/],
    [{ ...ok, waves: { kind: 'linear' } }, 'waves.kind', /fixed, percent, exponential/],
    [{ ...ok, waves: { kind: 'fixed', sizes: [1, 0] } }, 'waves.sizes[1]', /\[1, /],
    [{ ...ok, waves: { kind: 'fixed', sizes: [1.5] } }, 'waves.sizes[0]', /integer/],
    [{ ...ok, waves: { kind: 'fixed', sizes: [1], cumulative: [100] } }, 'waves.cumulative', /Unknown field/],
    [{ ...ok, waves: { kind: 'percent', cumulative: [50, 40, 100] } }, 'waves.cumulative[1]', /must grow/],
    [{ ...ok, waves: { kind: 'percent', cumulative: [50, 90] } }, 'waves.cumulative[1]', /need 100/],
    [{ ...ok, waves: { kind: 'percent', cumulative: [0, 100] } }, 'waves.cumulative[0]', /\(0, 100\]/],
    [{ ...ok, waves: { kind: 'exponential', initial: 2, factor: 0.5, max: 10 } }, 'waves.factor', /\[1, 100\]/],
    [{ ...ok, waves: { kind: 'exponential', initial: 5, factor: 2, max: 4 } }, 'waves.max', /initial size 5/],
    [{ ...ok, waves: { kind: 'exponential', initial: 1, factor: 2 } }, 'waves.max', /need an integer/],
    [{ ...ok, policy: { successPercent: 0 } }, 'policy.successPercent', /\(0, 100\]/],
    [{ ...ok, policy: { errorPercent: 101 } }, 'policy.errorPercent', /\(0, 100\]/],
    [{ ...ok, policy: { minFinished: 0 } }, 'policy.minFinished', /\[1, /],
    [{ ...ok, policy: { waveTimeoutMs: 0 } }, 'policy.waveTimeoutMs', /\[1, /],
    [{ ...ok, policy: { soakMs: -5 } }, 'policy.soakMs', /\[0, /],
    [{ ...ok, policy: { speed: 1 } }, 'policy.speed', /Unknown field/],
    [{ ...ok, policy: { regression: { confidence: 1 } } }, 'policy.regression.confidence', /\(0\.5, 1\)/],
    [{ ...ok, policy: { regression: { fuelMargin: -0.1 } } }, 'policy.regression.fuelMargin', /\[0, /],
    [{ ...ok, policy: { regression: { minDevices: 0 } } }, 'policy.regression.minDevices', /\[1, /],
    [{ ...ok, autoRollback: true }, 'autoRollback', /rollbackRelease/],
    [{ ...ok, rollbackRelease: DIGEST }, 'rollbackRelease', /being rolled out/],
    [{ ...ok, start: 'yes' }, 'start', /true or false/],
  ])('POST /api/rollouts refuses %j naming %s', async (body, field, message) => {
    expectError(await post('/api/rollouts', { body }), 400, 'bad-request', field, message);
    expect(ops.calls.filter((c) => c.method === 'createRollout')).toEqual([]);
  });

  it('lists, reads and commands rollouts; a command not allowed now is 409', async () => {
    const release = await upload();
    await post('/api/rollouts', { body: { id: 'r-9', release, target: { kind: 'list', deviceIds: ['dev-1', 'dev-2'] }, waves: { kind: 'fixed', sizes: [1] }, start: false } });
    expect((await get('/api/rollouts?state=created')).json.items.map((r: any) => r.id)).toEqual(['r-9']);
    expect((await get('/api/rollouts/r-9')).json).toMatchObject({ id: 'r-9', state: 'created' });
    expectError(await get('/api/rollouts/r-nope'), 404, 'not-found');
    expect((await post('/api/rollouts/r-9/start', { token: BOB })).json.state).toBe('running');
    expect(lastCall()).toEqual({ method: 'commandRollout', args: ['r-9', 'start', 'bob'] });
    expect((await post('/api/rollouts/r-9/pause')).json.state).toBe('paused');
    expectError(await post('/api/rollouts/r-9/pause'), 409, 'conflict', undefined, /paused/);
    expect((await post('/api/rollouts/r-9/resume')).json.state).toBe('running');
    expect((await post('/api/rollouts/r-9/abort')).json.state).toBe('aborted');
    expectError(await post('/api/rollouts/r-9/roll-back'), 409, 'conflict');
    expectError(await post('/api/rollouts/r-9/explode'), 404, 'not-found');
  });
});

describe('routing and failures', () => {
  it('an unknown route is 404, a wrong method 405 with Allow', async () => {
    expectError(await get('/api/nothing'), 404, 'not-found');
    const r = await send(api.url, 'DELETE', '/api/devices/dev-1', { token: ALICE });
    expectError(r, 405, 'method-not-allowed');
    expect(r.headers['allow']).toBe('GET');
    const p = await send(api.url, 'GET', '/api/releases/x');
    expect(p.status).toBe(404);
    const q = await send(api.url, 'PATCH', '/api/releases', { token: ALICE });
    expect(q.headers['allow']).toBe('POST, GET');
  });

  it('an unexpected failure is 500 with a generic message; the details go to the log only', async () => {
    ops.failNext = new Error('database password is hunter2');
    const r = await get('/api/overview');
    expectError(r, 500, 'internal', undefined, /cloud's log/);
    expect(r.text).not.toMatch(/hunter2|at /);
    expect(logged).toHaveLength(1);
    expect(String(logged[0]!.fields['error'])).toMatch(/hunter2/);
  });

  it('a client that goes away mid-body is dropped without an error logged, and the server keeps serving', async () => {
    const { connect } = await import('node:net');
    const u = new URL(api.url);
    const sock = connect(Number(u.port), u.hostname);
    await new Promise<void>((res) => sock.once('connect', () => res()));
    sock.write(`POST /api/releases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ALICE}\r\nContent-Length: 100000\r\n\r\nFLTB0123`);
    await new Promise((res) => setTimeout(res, 50));
    sock.destroy();
    await new Promise((res) => setTimeout(res, 50));
    expect((await get('/api/overview')).status).toBe(200);
    expect(logged).toEqual([]);
    expect(ops.calls.filter((c) => c.method === 'uploadBundle')).toEqual([]);
  });

  it('an OpsError unavailable is 503', async () => {
    const { OpsError } = await import('../../../cloud/service/ops.ts');
    ops.failNext = new OpsError('unavailable', 'No cloud process leads rollouts now');
    expectError(await get('/api/rollouts'), 503, 'unavailable', undefined, /leads rollouts/);
  });
});

describe('dashboard files', () => {
  it('serves index.html at / and assets with the Content-Security-Policy', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.text).toMatch(/<title>fleetlet/);
    const js = await get('/assets/app.js');
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.text).toBe('console.log("fleetlet");');
  });

  it('serves the two uPlot files from node_modules and nothing else of it', async () => {
    const js = await get('/assets/uplot/uPlot.iife.min.js');
    expect(js.status).toBe(200);
    expect(js.text).toMatch(/uPlot/);
    expect((await get('/assets/uplot/uPlot.min.css')).headers['content-type']).toMatch(/^text\/css/);
    expect((await get('/assets/uplot/uPlot.cjs.js')).status).toBe(404);
    expect((await get('/assets/uplot/../package.json')).status).toBe(404);
  });

  it.each([
    '/assets/../../package.json',
    '/assets/%2e%2e/%2e%2e/package.json',
    '/assets/..%2f..%2fpackage.json',
    '/assets/..%5c..%5cpackage.json',
    '/assets/.secret.js',
    '/assets/link.js',
    '/assets/missing.js',
    '/assets/',
    '/package.json',
    '/assets/app.js%00.html',
  ])('GET %s is 404', async (path) => {
    const r = await get(path);
    expect(r.status).toBe(404);
    expect(r.text).not.toMatch(/fleetlet"|outside|hidden/);
  });

  it('POST to a page is 405', async () => {
    const r = await send(api.url, 'POST', '/');
    expect(r.status).toBe(405);
    expect(r.headers['allow']).toBe('GET, HEAD');
  });
});
