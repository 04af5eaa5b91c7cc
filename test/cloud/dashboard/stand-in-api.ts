// A small stand-in for fleetlet's HTTP API (cloud/http) that serves the dashboard's folder and the routes the page
// reads and calls, over any FleetOps, with the same error bodies, bearer tokens and content security policy: the
// dashboard's browser tests ran on it while the real server was being written.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { OpsError, type FleetOps, type RolloutCommandName } from '../../../cloud/service/ops.ts';

export interface StandInOptions {
  readonly dashboardDir: string;
  readonly operators: readonly { readonly name: string; readonly token: string }[];
  readonly readsNeedToken?: boolean;
}

const STATUS: Record<string, number> = { 'bad-request': 400, unauthorized: 401, forbidden: 403, 'not-found': 404, conflict: 409, unavailable: 503 };
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };
const UPLOT = join(process.cwd(), 'node_modules', 'uplot', 'dist');
const HEADERS = { 'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'", 'X-Content-Type-Options': 'nosniff' };

type Handler = (m: RegExpExecArray, q: URLSearchParams, actor: string | undefined, body: () => Promise<unknown>) => Promise<unknown>;

export async function startStandInApi(ops: FleetOps, o: StandInOptions): Promise<{ readonly url: string; close(): Promise<void> }> {
  const n = (q: URLSearchParams, k: string): number | undefined => (q.has(k) ? Number(q.get(k)) : undefined);
  const s = (q: URLSearchParams, k: string): string | undefined => q.get(k) ?? undefined;
  const pageQ = (q: URLSearchParams): { limit?: number; cursor?: string } => {
    const out: { limit?: number; cursor?: string } = {};
    const limit = n(q, 'limit');
    const cursor = s(q, 'cursor');
    if (limit !== undefined) out.limit = limit;
    if (cursor !== undefined) out.cursor = cursor;
    return out;
  };
  const defined = (x: object): never => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as never;
  const routes: [string, RegExp, boolean, Handler][] = [
    ['GET', /^\/api\/overview$/, false, () => ops.overview()],
    ['GET', /^\/api\/devices$/, false, (_m, q) => ops.listDevices(defined({ ...pageQ(q), tag: s(q, 'tag'), includeRetired: q.get('includeRetired') === 'true' }))],
    ['GET', /^\/api\/devices\/([^/]+)$/, false, (m) => ops.getDevice(m[1]!)],
    ['PUT', /^\/api\/devices\/([^/]+)\/tags$/, true, async (m, _q, a, body) => ops.setTags(m[1]!, ((await body()) as { tags: string[] }).tags, a!)],
    ['POST', /^\/api\/devices\/([^/]+)\/retire$/, true, (m, _q, a) => ops.retireDevice(m[1]!, a!)],
    ['GET', /^\/api\/devices\/([^/]+)\/logs$/, false, async (m, q) => ({ items: await ops.logs(m[1]!, s(q, 'module')) })],
    ['GET', /^\/api\/devices\/([^/]+)\/telemetry$/, false, (m, q) => ops.telemetry(defined({ ...pageQ(q), deviceId: m[1]!, module: s(q, 'module'), metric: s(q, 'metric'), fromMs: n(q, 'fromMs'), toMs: n(q, 'toMs') }))],
    ['GET', /^\/api\/enrollments$/, false, (_m, q) => ops.listEnrollments(defined({ ...pageQ(q), state: s(q, 'state') as never }))],
    ['POST', /^\/api\/enrollments\/([^/]+)\/accept$/, true, (m, _q, a) => ops.acceptDevice(m[1]!, a!)],
    ['POST', /^\/api\/enrollments\/([^/]+)\/refuse$/, true, async (m, _q, a, body) => ops.refuseDevice(m[1]!, a!, ((await body()) as { note?: string } | undefined)?.note)],
    ['GET', /^\/api\/rollouts$/, false, (_m, q) => ops.listRollouts(defined({ ...pageQ(q), state: s(q, 'state') as never }))],
    ['GET', /^\/api\/rollouts\/([^/]+)$/, false, (m) => ops.getRollout(m[1]!)],
    ['POST', /^\/api\/rollouts\/([^/]+)\/(start|pause|resume|abort|roll-back)$/, true, (m, _q, a) => ops.commandRollout(m[1]!, m[2] as RolloutCommandName, a!)],
  ];

  const actorOf = (header: string | undefined): string => {
    if (header === undefined) throw new OpsError('unauthorized', 'This call needs an operator token: send "Authorization: Bearer <token>"');
    const token = /^Bearer (\S+)$/.exec(header)?.[1];
    const op = o.operators.find((x) => x.token === token);
    if (op === undefined) throw new OpsError('forbidden', 'The operator token is not known to this cloud');
    return op.name;
  };

  const send = (res: ServerResponse, status: number, value: unknown): void => {
    res.writeHead(status, { ...HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(value));
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    if (!url.pathname.startsWith('/api/')) {
      const p = url.pathname;
      const file = p === '/' ? join(o.dashboardDir, 'index.html')
        : p.startsWith('/assets/uplot/') ? join(UPLOT, p.slice('/assets/uplot/'.length).replace(/[^A-Za-z0-9.]/g, ''))
          : p.startsWith('/assets/') ? join(o.dashboardDir, p.slice('/assets/'.length).replace(/[^A-Za-z0-9.-]/g, '')) : undefined;
      const body = file === undefined ? undefined : await readFile(file).catch(() => undefined);
      if (body === undefined) return send(res, 404, { error: { code: 'not-found', message: `Nothing at ${p}` } });
      res.writeHead(200, { ...HEADERS, 'Content-Type': TYPES[extname(file!)] ?? 'application/octet-stream' });
      res.end(body);
      return;
    }
    for (const [m, re, needsToken, handle] of routes) {
      const hit = re.exec(url.pathname);
      if (hit === null || m !== method) continue;
      const params = hit.map((x, i) => (i === 0 ? x : decodeURIComponent(x))) as unknown as RegExpExecArray;
      const header = req.headers.authorization;
      const actor = needsToken || o.readsNeedToken === true || header !== undefined ? actorOf(header) : undefined;
      const body = async (): Promise<unknown> => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const text = Buffer.concat(chunks).toString('utf8');
        return text === '' ? undefined : JSON.parse(text);
      };
      return send(res, 200, await handle(params, url.searchParams, actor, body));
    }
    throw new OpsError('not-found', `No API route ${method} ${url.pathname}`);
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((e: unknown) => {
      if (e instanceof OpsError) send(res, STATUS[e.code] ?? 500, { error: { code: e.code, message: e.message, ...(e.field === undefined ? {} : { field: e.field }) } });
      else send(res, 500, { error: { code: 'internal', message: String(e) } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
