// The smallest fleet service a device agent can live with: enrollment (with broker credentials), the chunk service
// over a content-addressed blob store, and the desired-state publisher, on one MQTT connection; with an embedded
// aedes broker whose auth hooks confine each device to its own subtree, or on an external broker (mosquitto). The
// agent's end-to-end tests and the crash sweep run against it; `fleetlet cloud` (the cloud issue) grows from it.

import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { busFromClient } from '../agent/session/client-bus.ts';
import type { MessageBus } from '../agent/session/bus.ts';
import type { CoseSigner } from '../agent/update/cose.ts';
import { manifestDigest } from '../agent/update/verify.ts';
import type { AuthDenial } from './broker/auth.ts';
import { BlobStore } from './chunks/blob-store.ts';
import { ChunkService } from './chunks/chunk-service.ts';
import { EnrollmentService } from './enroll/service.ts';
import { DesiredStatePublisher, type PublishedState } from './state/publisher.ts';
import { startEmbeddedBroker } from './service/embedded-broker.ts';

export interface MiniCloudOptions {
  readonly dataDir: string;
  /** The signed trust update enrolled devices start from. */
  readonly trust: Uint8Array;
  /** The state signer's key (the only key the cloud holds). */
  readonly stateSigner: CoseSigner;
  /** An external broker, or (default) an embedded aedes on a free loopback port (or `port`). */
  readonly broker?: { readonly url: string; readonly username?: string; readonly password?: string } | { readonly embedded: true; readonly port?: number };
  /** Accept enrollment requests at once (tests, the demo); default true. */
  readonly autoAccept?: boolean;
  /** Issue broker credentials at enrollment; default true with the embedded broker, false with an external one. */
  readonly issueCredentials?: boolean;
  /** Seconds since the epoch for signing states (tests inject); default the system clock. */
  readonly now?: () => number;
}

/** A module release the cloud can hand out: its signed manifest and its bytes. */
export interface Release {
  readonly signedManifest: Uint8Array;
  readonly module: Uint8Array;
}

export class MiniCloud {
  private constructor(
    /** Clients the embedded broker turned away, newest last (bounded). */
    readonly denials: readonly AuthDenial[],
    readonly url: string,
    readonly client: MqttClient,
    readonly bus: MessageBus,
    readonly blobs: BlobStore,
    readonly chunks: ChunkService,
    readonly enrollment: EnrollmentService,
    readonly publisher: DesiredStatePublisher,
    private readonly closeBroker: () => Promise<void>,
  ) {}

  static async start(o: MiniCloudOptions): Promise<MiniCloud> {
    const cloudLogin = { username: 'fleetlet-cloud', password: (await import('node:crypto')).randomBytes(16).toString('hex') };
    let url: string;
    let login: { username?: string; password?: string } = {};
    let closeBroker = async (): Promise<void> => {};
    let enrollmentRef: EnrollmentService | undefined;
    const denials: AuthDenial[] = [];
    const embedded = o.broker === undefined || 'embedded' in o.broker;
    if (embedded) {
      const broker = await startEmbeddedBroker({
        devices: {
          checkPassword: async (id, pw) => (await enrollmentRef?.checkPassword(id, pw)) ?? false,
          mayEnroll: async (id) => (await enrollmentRef?.mayEnroll(id)) ?? true,
        },
        cloud: cloudLogin,
        onDenied: (d) => {
          denials.push(d);
          if (denials.length > 1000) denials.shift();
        },
        ...(o.broker !== undefined && 'embedded' in o.broker && o.broker.port !== undefined ? { port: o.broker.port } : {}),
      });
      url = broker.url;
      login = cloudLogin;
      closeBroker = () => broker.close();
    } else {
      const b = o.broker as { url: string; username?: string; password?: string };
      url = b.url;
      login = { ...(b.username === undefined ? {} : { username: b.username }), ...(b.password === undefined ? {} : { password: b.password }) };
    }
    const client = await mqtt.connectAsync(url, { clientId: `fleetlet-cloud-${process.pid}-${Date.now().toString(36)}`, ...login, reconnectPeriod: 500 });
    const noDelay = (): void => (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
    noDelay();
    client.on('connect', noDelay);
    const bus = busFromClient(client);
    const blobs = await BlobStore.open(join(o.dataDir, 'blobs'));
    const chunks = new ChunkService(bus, { store: blobs, rateLimit: { perSecond: 2000, burst: 500 } });
    await chunks.start();
    const enrollment = await EnrollmentService.start(bus, { trust: o.trust, autoAccept: o.autoAccept ?? true, issueCredentials: o.issueCredentials ?? embedded });
    enrollmentRef = enrollment;
    const publisher = await DesiredStatePublisher.open(bus, { signer: o.stateSigner, file: join(o.dataDir, 'desired-states.json'), ...(o.now === undefined ? {} : { now: o.now }) });
    return new MiniCloud(denials, url, client, bus, blobs, chunks, enrollment, publisher, closeBroker);
  }

  /** Stores a release's manifest and module so devices can fetch them. */
  async addRelease(r: Release): Promise<void> {
    await this.blobs.put(r.signedManifest);
    await this.blobs.put(r.module);
  }

  /** Signs and publishes (retained) the modules a device should run, each with its settings. */
  async setDesired(deviceId: string, modules: readonly { readonly release: Release; readonly name: string; readonly settings?: Record<string, string> }[]): Promise<PublishedState> {
    for (const m of modules) await this.addRelease(m.release);
    return this.publisher.publish(deviceId, modules.map((m) => ({ name: m.name, manifestDigest: manifestDigest(m.release.signedManifest), settings: m.settings ?? {} })));
  }

  async close(): Promise<void> {
    await this.chunks.stop().catch(() => undefined);
    await this.enrollment.stop().catch(() => undefined);
    await this.client.endAsync(true).catch(() => undefined);
    await this.closeBroker();
  }
}
