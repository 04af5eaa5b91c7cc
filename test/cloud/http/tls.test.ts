// The HTTP API over TLS: a self-signed certificate made with openssl for 127.0.0.1; a client that trusts it gets the
// API, one that does not is refused by the TLS handshake, and plain HTTP to the TLS port gets no answer.

import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHttpApi, type HttpApi } from '../../../cloud/http/index.ts';
import { send } from './client.ts';
import { MemoryOps } from './memory-ops.ts';

const TOKEN = 'tls-operator-token-0123';
let dir: string;
let cert: string;
let api: HttpApi;
let ops: MemoryOps;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleetlet-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=fleetlet-test',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'pipe' });
  cert = await readFile(join(dir, 'cert.pem'), 'utf8');
  ops = new MemoryOps(2);
  api = await startHttpApi(ops, { operators: [{ name: 'tls-op', token: TOKEN }], tls: { cert, key: await readFile(join(dir, 'key.pem'), 'utf8') } });
});

afterAll(async () => {
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

it('serves the API over HTTPS to a client that trusts the certificate', async () => {
  expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const r = await send(api.url, 'GET', '/api/devices', { ca: cert });
  expect(r.status).toBe(200);
  expect(r.json.items).toHaveLength(2);
  const w = await send(api.url, 'POST', '/api/devices/dev-1/retire', { ca: cert, token: TOKEN });
  expect(w.json.retired).toBe(true);
  expect(ops.calls[ops.calls.length - 1]).toEqual({ method: 'retireDevice', args: ['dev-1', 'tls-op'] });
});

it('a client that does not trust the certificate is refused by the handshake', async () => {
  await expect(send(api.url, 'GET', '/api/overview')).rejects.toThrow(/self[- ]signed/i);
});

it('plain HTTP to the TLS port gets no API answer', async () => {
  const r = await send(api.url.replace('https:', 'http:'), 'GET', '/api/overview').catch((e: Error) => e);
  if (!(r instanceof Error)) {
    expect(r.status).toBe(400);
    expect(r.json).toBeUndefined();
  }
  expect(ops.calls.filter((c) => c.method === 'overview')).toEqual([]);
});
