// Helpers for the download tests: aedes with the real ChunkService and BlobStore on a cloud client, a device whose
// MQTT client goes through a TCP proxy (so the link can be cut), and random blobs.

import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { busFromClient } from '../../../agent/session/client-bus.ts';
import type { MessageBus } from '../../../agent/session/bus.ts';
import { ChunkClient, Downloader, type ChunkClientOptions, type DownloaderOptions } from '../../../agent/update/download/index.ts';
import { BlobStore } from '../../../cloud/chunks/blob-store.ts';
import { ChunkService, type ChunkServiceOptions } from '../../../cloud/chunks/chunk-service.ts';
import { startAedes, type EmbeddedBroker } from '../../support/brokers.ts';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';

export async function tempDir(prefix = 'fleetlet-download-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** `n` random bytes. */
export const blob = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

/** A device id no other test on the broker uses. */
export const uniqueDeviceId = (prefix = 'dev'): string => `${prefix}-${randomBytes(5).toString('hex')}`;

/** Polls `cond` every 5 ms; throws `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The cloud side: a broker, a blob store and the chunk service on its own MQTT client. */
export interface Cloud {
  readonly broker: EmbeddedBroker;
  readonly proxy: TcpProxy;
  readonly store: BlobStore;
  readonly service: ChunkService;
  readonly client: MqttClient;
  readonly bus: MessageBus;
  readonly dirs: string[];
  close(): Promise<void>;
}

/** A bus whose publishes leave `ms` later (a cloud that takes a while to answer). */
function delayedBus(bus: MessageBus, ms: number): MessageBus {
  return {
    get connected() { return bus.connected; },
    publish: async (topic, payload, options) => {
      await new Promise((r) => setTimeout(r, ms));
      return bus.publish(topic, payload, options);
    },
    subscribe: (filter, handler) => bus.subscribe(filter, handler),
    onConnectionChange: (listener) => bus.onConnectionChange(listener),
  };
}

export interface CloudOptions extends Partial<Omit<ChunkServiceOptions, 'store'>> {
  /** Delay before each answer leaves the cloud. */
  readonly answerDelayMs?: number;
}

/**
 * Turns Nagle's algorithm off on a client's socket, now and after every reconnect: MQTT writes a packet in pieces,
 * and Nagle plus delayed ACKs add about 40 ms per hop to every request/response on loopback.
 */
export function noDelay(client: MqttClient): MqttClient {
  const set = (): void => {
    (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
  };
  set();
  client.on('connect', set);
  return client;
}

export async function startCloud(options: CloudOptions = {}): Promise<Cloud> {
  const broker = await startAedes();
  broker.aedes.on('client', (c) => {
    (c.conn as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  });
  const proxy = await startTcpProxy(broker.port);
  const storeDir = await tempDir('fleetlet-blobs-');
  const store = await BlobStore.open(storeDir);
  const client = noDelay(await mqtt.connectAsync(broker.url, { clientId: uniqueDeviceId('cloud'), reconnectPeriod: 0 }));
  const bus = busFromClient(client);
  const { answerDelayMs, ...serviceOptions } = options;
  const service = new ChunkService(answerDelayMs === undefined ? bus : delayedBus(bus, answerDelayMs), { store, rateLimit: { perSecond: 100_000, burst: 100_000 }, ...serviceOptions });
  await service.start();
  const dirs = [storeDir];
  return {
    broker,
    proxy,
    store,
    service,
    client,
    bus,
    dirs,
    async close() {
      await service.stop().catch(() => {});
      await client.endAsync(true);
      await proxy.close();
      await broker.close();
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    },
  };
}

/**
 * Calls `fn` synchronously when the cloud's client receives the `n`-th chunk request of `deviceId` (counted from now),
 * so a test can act at an exact point of a download however fast it runs. Returns a remover.
 */
export function onNthRequest(cloud: Cloud, deviceId: string, n: number, fn: () => void): () => void {
  let seen = 0;
  const prefix = `fleetlet/v1/dev/${deviceId}/`;
  const listener = (topic: string): void => {
    if (topic.startsWith(prefix) && ++seen === n) fn();
  };
  cloud.client.on('message', listener);
  return () => {
    cloud.client.off('message', listener);
  };
}

/** A device: an mqtt.js client (through the cloud's proxy when asked), a ChunkClient and a Downloader on a data directory. */
export interface Device {
  readonly deviceId: string;
  readonly dataDir: string;
  readonly client: MqttClient;
  readonly bus: MessageBus;
  readonly chunks: ChunkClient;
  readonly downloader: Downloader;
  /** A new Downloader on the same data directory and ChunkClient (an agent restart, as far as downloads go). */
  restart(options?: DownloaderOptions): Downloader;
  close(): Promise<void>;
}

export interface DeviceOptions {
  readonly deviceId?: string;
  readonly dataDir?: string;
  /** Connect through the cloud's TCP proxy (so `cloud.proxy.cut()` reaches this device); default straight to the broker. */
  readonly throughProxy?: boolean;
  readonly client?: Partial<ChunkClientOptions>;
  readonly downloader?: DownloaderOptions;
}

export async function startDevice(cloud: Cloud, o: DeviceOptions = {}): Promise<Device> {
  const deviceId = o.deviceId ?? uniqueDeviceId();
  const dataDir = o.dataDir ?? (await tempDir());
  if (o.dataDir === undefined) cloud.dirs.push(dataDir);
  const url = o.throughProxy === true ? cloud.proxy.url : cloud.broker.url;
  const client = noDelay(await mqtt.connectAsync(url, { clientId: deviceId, reconnectPeriod: 20, connectTimeout: 2000, keepalive: 5 }));
  const bus = busFromClient(client);
  const chunks = new ChunkClient(bus, { deviceId, timeoutMs: 2000, ...o.client });
  await chunks.start();
  const fast: DownloaderOptions = { maxChunk: 16 * 1024, retryDelayMs: 10, stallTimeoutMs: 5000, ...o.downloader };
  return {
    deviceId,
    dataDir,
    client,
    bus,
    chunks,
    downloader: new Downloader(dataDir, chunks, fast),
    restart: (options) => new Downloader(dataDir, chunks, { ...fast, ...options }),
    async close() {
      await chunks.stop();
      await client.endAsync(true);
    },
  };
}
