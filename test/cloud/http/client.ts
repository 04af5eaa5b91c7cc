// A raw HTTP client for the API tests: sends the path exactly as written (no normalisation of "..", unlike fetch),
// optionally over TLS with a given CA, and returns status, headers and the body as text and JSON.

import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The body as JSON (undefined when it is not JSON). */
  readonly json: any;
}

export interface Send {
  readonly token?: string;
  /** A JSON value (serialised) or raw bytes / text sent as is. */
  readonly body?: unknown;
  readonly raw?: string | Uint8Array;
  readonly headers?: Record<string, string>;
  readonly ca?: string;
}

export function send(base: string, method: string, path: string, o: Send = {}): Promise<Reply> {
  const url = new URL(base);
  const payload = o.raw !== undefined ? Buffer.from(o.raw) : o.body !== undefined ? Buffer.from(JSON.stringify(o.body)) : undefined;
  const headers: Record<string, string> = { ...o.headers };
  if (o.token !== undefined) headers['authorization'] = `Bearer ${o.token}`;
  if (payload !== undefined) {
    headers['content-length'] = String(payload.length);
    headers['content-type'] ??= o.raw instanceof Uint8Array ? 'application/octet-stream' : 'application/json';
  }
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers, ...(o.ca === undefined ? {} : { ca: o.ca }) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}
