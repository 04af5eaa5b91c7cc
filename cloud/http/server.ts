// fleetlet's HTTP API on node:http or node:https: the route table (routes.ts) over a FleetOps, operator tokens,
// body limits, JSON errors `{ error: { code, message, field? } }`, and the dashboard's static files with their
// security headers. No framework: one request handler, one table.

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { MAX_MODULE_BYTES } from '../../schemas/messages/manifest.ts';
import { type FleetOps, OpsError, type OpsErrorCode } from '../service/ops.ts';
import { OperatorTokens, type Operator } from './_auth.ts';
import { parseJsonBody } from './_json.ts';
import { StaticFiles } from './_static.ts';
import { bad, Query } from './_validate.ts';
import { matchPath, type Route, type RouteContext } from './routes.ts';

/** The error codes of the API's error bodies: FleetOps' codes plus the HTTP layer's own. */
export type HttpErrorCode = OpsErrorCode | 'method-not-allowed' | 'too-large' | 'internal';

export const HTTP_STATUS: Readonly<Record<HttpErrorCode, number>> = {
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  conflict: 409,
  'too-large': 413,
  internal: 500,
  unavailable: 503,
};

/** Default limit of a JSON body. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Default limit of an uploaded bundle: the largest module a manifest may name, plus room for the signed manifest. */
export const DEFAULT_MAX_BUNDLE_BYTES = MAX_MODULE_BYTES + 256 * 1024;

/** The dashboard's folder (engineer D's), served at `/` and `/assets/` unless `dashboardDir` says otherwise. */
const DEFAULT_DASHBOARD = fileURLToPath(new URL('./dashboard/', import.meta.url));

export interface HttpApiOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** PEM certificate and key: serve HTTPS. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  readonly operators: readonly Operator[];
  /** Reads need a token too (default false: reads are open, changes need one). */
  readonly readsNeedToken?: boolean;
  /** Folder of the dashboard's index.html and assets; default cloud/http/dashboard. */
  readonly dashboardDir?: string;
  /** Largest JSON body; default 4 MiB. */
  readonly maxBodyBytes?: number;
  /** Largest bundle upload (POST /api/releases); default MAX_MODULE_BYTES + 256 KiB. */
  readonly maxBundleBytes?: number;
  /** Where unexpected failures are logged (never sent to the client); default console.error. */
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}

export interface HttpApi {
  /** `http://127.0.0.1:PORT` (or https), without a trailing slash. */
  readonly url: string;
  close(): Promise<void>;
}

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

class TooLarge extends Error {}
/** The client went away before its body ended: nothing to answer, nothing to log. */
class ClientGone extends Error {}

/**
 * Starts the API server and resolves once it listens.
 * @throws RangeError for an invalid operator list or limit; the listen error (EADDRINUSE...) as is
 */
export async function startHttpApi(ops: FleetOps, o: HttpApiOptions): Promise<HttpApi> {
  const tokens = new OperatorTokens(o.operators);
  const maxBody = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxBundle = o.maxBundleBytes ?? DEFAULT_MAX_BUNDLE_BYTES;
  for (const [k, v] of [['maxBodyBytes', maxBody], ['maxBundleBytes', maxBundle]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`Invalid ${k} ${v}: need an integer >= 1`);
  }
  const dashboardDir = o.dashboardDir ?? (existsSync(DEFAULT_DASHBOARD) ? DEFAULT_DASHBOARD : undefined);
  const files = new StaticFiles(dashboardDir);
  const log = o.log ?? ((m, f) => console.error(m, f));

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    serve(req, res).catch((e: unknown) => {
      log('fleetlet http: failed to answer a request', { method: req.method, url: req.url, error: String(e) });
      res.destroy();
    });
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://fleetlet.invalid');
    } catch {
      return sendError(res, new OpsError('bad-request', 'Cannot read the request URL'));
    }
    const method = req.method ?? 'GET';
    try {
      if (!url.pathname.startsWith('/api/')) return await serveStatic(req, res, url.pathname, method);
      const matches = matchPath(url.pathname);
      if (matches.length === 0) throw new OpsError('not-found', `No API route ${url.pathname}`);
      const hit = matches.find((m) => m.route.method === method);
      if (hit === undefined) {
        const allow = [...new Set(matches.map((m) => m.route.method))].join(', ');
        res.setHeader('Allow', allow);
        return sendError(res, { code: 'method-not-allowed', message: `${method} is not allowed on ${url.pathname} (allowed: ${allow})` });
      }
      await answer(req, res, hit.route, hit.params, url);
    } catch (e) {
      if (e instanceof OpsError) return sendError(res, e);
      if (e instanceof ClientGone) {
        res.destroy();
        return;
      }
      if (e instanceof TooLarge) {
        res.setHeader('Connection', 'close');
        return sendError(res, { code: 'too-large', message: e.message });
      }
      log('fleetlet http: internal error', { method, path: url.pathname, error: e instanceof Error ? e.stack ?? e.message : String(e) });
      return sendError(res, { code: 'internal', message: 'Internal error in the fleetlet cloud; the cloud\'s log has the details' });
    }
  }

  async function answer(req: IncomingMessage, res: ServerResponse, route: Route, raw: Record<string, string>, url: URL): Promise<void> {
    const header = req.headers.authorization;
    const needsToken = route.token || o.readsNeedToken === true;
    const actor = needsToken || header !== undefined ? tokens.actorOf(header) : undefined;
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) {
      try {
        params[k] = decodeURIComponent(v);
      } catch {
        throw bad(`Cannot read the path parameter ${k}: bad percent-encoding`, k);
      }
    }
    const query = new Query(url.searchParams, route.query);
    const limit = route.bundle === true ? maxBundle : maxBody;
    let body: Promise<Buffer> | undefined;
    const bytes = (): Promise<Buffer> => (body ??= readBody(req, limit));
    const ctx: RouteContext = {
      params,
      query,
      actor,
      bytes,
      json: async () => {
        const b = await bytes();
        const text = b.toString('utf8').trim();
        return text === '' ? undefined : parseJsonBody(text);
      },
    };
    const result = await route.handle(ops, ctx);
    await (body ?? drain(req, limit));
    sendJson(res, route.status ?? 200, result);
  }

  async function serveStatic(req: IncomingMessage, res: ServerResponse, path: string, method: string): Promise<void> {
    const file = await files.find(path);
    if (file === undefined) throw new OpsError('not-found', `Nothing at ${path}`);
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendError(res, { code: 'method-not-allowed', message: `${method} is not allowed on ${path} (allowed: GET, HEAD)` });
    }
    req.resume();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    res.writeHead(200, { 'Content-Type': file.type, 'Content-Length': file.body.length, 'Cache-Control': 'no-cache' });
    res.end(method === 'HEAD' ? undefined : file.body);
  }

  const server: Server = o.tls === undefined ? createHttpServer(handler) : createHttpsServer({ cert: o.tls.cert, key: o.tls.key }, handler);
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `${o.tls === undefined ? 'http' : 'https'}://${shown}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Reads a body up to `limit` bytes. @throws TooLarge beyond it (the declared Content-Length is checked first) */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new TooLarge(`The request body of ${declared} bytes is over the limit of ${limit} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        reject(new TooLarge(`The request body is over the limit of ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on('error', () => reject(new ClientGone()));
    req.on('close', () => {
      if (!req.complete) reject(new ClientGone());
    });
  });
}

/** A route that did not read its body still lets the request end (bounded, so a huge unread body is refused). */
function drain(req: IncomingMessage, limit: number): Promise<unknown> {
  if (req.readableEnded || req.complete) return Promise.resolve();
  return readBody(req, limit);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value ?? null), 'utf8');
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
  res.end(body);
}

function sendError(res: ServerResponse, e: { readonly code: HttpErrorCode; readonly message: string; readonly field?: string | undefined }): void {
  const status = HTTP_STATUS[e.code] ?? 500;
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="fleetlet"');
  sendJson(res, status, { error: { code: e.code, message: e.message, ...(e.field === undefined ? {} : { field: e.field }) } });
}
