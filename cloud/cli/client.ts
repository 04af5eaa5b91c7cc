// The operator CLI's client of fleetlet's HTTP API: one JSON request at a time over node:http or node:https, the
// token sent as a bearer, bundle uploads streamed with a byte count, and every failure turned into a one-line
// CliError (the API's message and field, or which URL could not be reached and why).

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CliError, EXIT } from '../../agent/cli/errors.ts';

export interface CloudClientOptions {
  /** The cloud's base URL (http or https), e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly token?: string;
  /** PEM of the CA (or self-signed certificate) to trust for https. */
  readonly ca?: string;
  /** Milliseconds without progress before a request is given up; default 60 s. */
  readonly timeoutMs?: number;
}

/** An error the API answered: its status, code, message and field. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(field === undefined ? message : `${message} (field: ${field})`, EXIT.failed);
  }
}

const UPLOAD_CHUNK = 64 * 1024;

export class CloudClient {
  readonly base: URL;

  /** @throws CliError (usage) when the URL is not http or https */
  constructor(private readonly o: CloudClientOptions) {
    let u: URL;
    try {
      u = new URL(o.url);
    } catch {
      throw new CliError(`Invalid cloud URL "${o.url}": need http://host:port or https://host:port`, EXIT.usage);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CliError(`Invalid cloud URL "${o.url}": need http or https`, EXIT.usage);
    this.base = u;
  }

  /** The URL as the operator gave it, for messages. */
  get url(): string {
    return this.o.url;
  }

  get<T>(path: string, query: Readonly<Record<string, string | number | boolean | undefined>> = {}): Promise<T> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
    const s = q.toString();
    return this.send<T>('GET', s === '' ? path : `${path}?${s}`);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.send<T>('POST', path, body === undefined ? undefined : Buffer.from(JSON.stringify(body)), 'application/json');
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('PUT', path, Buffer.from(JSON.stringify(body)), 'application/json');
  }

  /** Sends bytes as application/octet-stream in chunks, telling `progress` how many went out. */
  upload<T>(path: string, bytes: Uint8Array, progress?: (sent: number, total: number) => void): Promise<T> {
    return this.send<T>('POST', path, bytes, 'application/octet-stream', progress);
  }

  /** Every page of a list, following `next` (at most `max` items). */
  async all<T>(path: string, query: Readonly<Record<string, string | number | boolean | undefined>> = {}, max = 100_000): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.get<{ items: T[]; next?: string }>(path, { ...query, limit: 1000, cursor });
      out.push(...page.items);
      cursor = page.next;
    } while (cursor !== undefined && out.length < max);
    return out;
  }

  private send<T>(method: string, path: string, body?: Uint8Array, type?: string, progress?: (sent: number, total: number) => void): Promise<T> {
    const prefix = this.base.pathname.replace(/\/$/, '');
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.o.token !== undefined) headers['authorization'] = `Bearer ${this.o.token}`;
    if (body !== undefined) {
      headers['content-type'] = type ?? 'application/octet-stream';
      headers['content-length'] = String(body.length);
    }
    const request = this.base.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          host: this.base.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: this.base.port,
          method,
          path: prefix + path,
          headers,
          ...(this.o.ca === undefined ? {} : { ca: this.o.ca }),
        },
        (res) => {
          readAll(res).then((text) => {
            try {
              resolve(this.answer<T>(res.statusCode ?? 0, text));
            } catch (e) {
              reject(e);
            }
          }, (e: Error) => reject(this.unreachable(e)));
        },
      );
      req.setTimeout(this.o.timeoutMs ?? 60_000, () => req.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })));
      req.on('error', (e) => reject(this.unreachable(e)));
      if (body === undefined) {
        req.end();
        return;
      }
      let at = 0;
      const pump = (): void => {
        while (at < body.length) {
          const chunk = body.subarray(at, Math.min(body.length, at + UPLOAD_CHUNK));
          at += chunk.length;
          const sent = at;
          const more = req.write(chunk, () => progress?.(sent, body.length));
          if (!more) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });
  }

  private answer<T>(status: number, text: string): T {
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new CliError(`The cloud at ${this.o.url} answered ${status} with a body that is not JSON: is it a fleetlet cloud?`);
    }
    if (status >= 200 && status < 300) return json as T;
    const e = (json as { error?: { code?: unknown; message?: unknown; field?: unknown } } | undefined)?.error;
    if (e !== undefined && typeof e.message === 'string') {
      throw new ApiError(status, typeof e.code === 'string' ? e.code : String(status), e.message, typeof e.field === 'string' ? e.field : undefined);
    }
    throw new CliError(`The cloud at ${this.o.url} answered ${status} without a fleetlet error`);
  }

  private unreachable(e: Error & { code?: string }): CliError {
    const why: Record<string, string> = {
      ECONNREFUSED: 'connection refused (is `fleetlet cloud` running there? set --cloud or FLEETLET_CLOUD)',
      ENOTFOUND: 'host not found',
      ETIMEDOUT: 'no answer in time',
      ECONNRESET: 'the connection was reset',
      EPIPE: 'the connection was closed while sending',
      DEPTH_ZERO_SELF_SIGNED_CERT: 'its certificate is self-signed (pass it with --ca FILE)',
      SELF_SIGNED_CERT_IN_CHAIN: 'its certificate chain is not trusted (pass the CA with --ca FILE)',
      UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its certificate is not trusted (pass the CA with --ca FILE)',
      ERR_TLS_CERT_ALTNAME_INVALID: 'its certificate does not name this host',
    };
    return new CliError(`Cannot reach the fleetlet cloud at ${this.o.url}: ${(e.code !== undefined ? why[e.code] : undefined) ?? e.message}`);
  }
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}
